#!/usr/bin/env node
// What every rendering of the farm chart must hold, across its documents:
//
//   node chart_checks.js MODULES_DIR check FILE   the invariants below
//   node chart_checks.js MODULES_DIR flags FILE   "COMMAND --flag" for every
//                                                 flag a container passes
//
// Invariants: each StatefulSet's serviceName is a headless Service of the
// rendering; every Service, PodDisruptionBudget, NetworkPolicy and
// autoscaler selects or targets a workload of the rendering; every object
// has the app.kubernetes.io labels and helm.sh/chart; every farm container
// has gRPC startup, readiness and liveness probes on its port named
// "health", and a port named "metrics" matching its prometheus.io/port
// annotation (when annotated); pods mount no ServiceAccount token and get
// no Service environment variables (a Service farm-cache would set
// FARM_CACHE_PORT beside farm's own FARM_* settings); the
// scheduler and cache run as non-root with a read-only root filesystem, no
// capabilities and the runtime's seccomp profile; the worker is the only
// privileged container; a ServiceMonitor's port exists on a Service it
// selects; the workers' NetworkPolicy admits only their health and metrics
// ports.
"use strict";
const fs = require("fs");
const path = require("path");

const [modulesDir, mode, file] = process.argv.slice(2);
const YAML = require(path.join(modulesDir, "node_modules", "yaml"));
const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { version: "1.1" })
  .map((d) => d.toJS())
  .filter((d) => d);

const WORKLOADS = ["Deployment", "StatefulSet"];
const workloads = docs.filter((d) => WORKLOADS.includes(d.kind));
const ofKind = (kind) => docs.filter((d) => d.kind === kind);
const id = (d) => `${d.kind} ${d.metadata.name}`;
const matches = (selector, labels) =>
  Object.entries(selector || {}).every(([k, v]) => (labels || {})[k] === v);
const podLabels = (w) => w.spec.template.metadata.labels;
const selects = (selector) => workloads.some((w) => matches(selector, podLabels(w)));

const problems = [];
const fail = (what, message) => problems.push(`${what}: ${message}`);

function checkLabels() {
  const want = ["name", "instance", "version", "managed-by", "part-of"];
  for (const d of docs) {
    const labels = d.metadata.labels || {};
    for (const k of want) {
      if (!labels[`app.kubernetes.io/${k}`]) fail(id(d), `no app.kubernetes.io/${k} label`);
    }
    if (!labels["helm.sh/chart"]) fail(id(d), "no helm.sh/chart label");
  }
  for (const w of workloads) {
    if (!podLabels(w)["app.kubernetes.io/component"]) fail(id(w), "pods have no component label");
  }
}

function checkReferences() {
  for (const s of ofKind("StatefulSet")) {
    const governing = ofKind("Service").find((v) => v.metadata.name === s.spec.serviceName);
    if (!governing) fail(id(s), `serviceName ${s.spec.serviceName} is not a Service of the chart`);
    else if (governing.spec.clusterIP !== "None") fail(id(s), `serviceName ${s.spec.serviceName} is not headless`);
  }
  for (const v of ofKind("Service")) {
    if (!selects(v.spec.selector)) fail(id(v), "selects no workload");
  }
  for (const p of [...ofKind("PodDisruptionBudget"), ...ofKind("NetworkPolicy")]) {
    const selector = p.kind === "PodDisruptionBudget" ? p.spec.selector : p.spec.podSelector;
    if (!selects(selector.matchLabels)) fail(id(p), "selects no workload");
  }
  for (const a of [...ofKind("HorizontalPodAutoscaler"), ...ofKind("ScaledObject")]) {
    const ref = a.spec.scaleTargetRef;
    const target = workloads.find((w) => w.metadata.name === ref.name && w.kind === (ref.kind || "Deployment"));
    if (!target) fail(id(a), `targets ${ref.name}, not a workload of the chart`);
    else if (target.spec.replicas !== undefined) fail(id(a), `${id(target)} sets replicas, which the autoscaler owns`);
  }
  for (const m of ofKind("ServiceMonitor")) {
    const services = ofKind("Service").filter((v) => matches(m.spec.selector.matchLabels, v.metadata.labels));
    for (const e of m.spec.endpoints) {
      if (!services.some((v) => v.spec.ports.some((p) => p.name === e.port))) {
        fail(id(m), `no selected Service has a port named ${e.port}`);
      }
    }
  }
}

function checkPods() {
  for (const w of workloads) {
    const spec = w.spec.template.spec;
    const annotations = w.spec.template.metadata.annotations || {};
    if (spec.automountServiceAccountToken !== false) fail(id(w), "mounts a ServiceAccount token");
    if (spec.enableServiceLinks !== false) fail(id(w), "gets Service environment variables (FARM_*)");
    for (const c of spec.containers) {
      const where = `${id(w)} container ${c.name}`;
      const port = (name) => (c.ports || []).find((p) => p.name === name);
      const health = port("health");
      if (!health) fail(where, "no port named health");
      for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        const probe = c[kind];
        if (!probe || !probe.grpc) fail(where, `no gRPC ${kind}`);
        else if (health && probe.grpc.port !== health.containerPort) fail(where, `${kind} is not on the health port`);
      }
      const metrics = port("metrics");
      if (!metrics) fail(where, "no port named metrics");
      else if (annotations["prometheus.io/scrape"] === "true" &&
               annotations["prometheus.io/port"] !== String(metrics.containerPort)) {
        fail(where, "prometheus.io/port is not the metrics port");
      }
      const sc = { ...(spec.securityContext || {}), ...(c.securityContext || {}) };
      const component = podLabels(w)["app.kubernetes.io/component"];
      if (component === "worker") {
        if (sc.privileged !== true) fail(where, "the worker is not privileged (runc needs it)");
        continue;
      }
      if (sc.privileged) fail(where, "privileged");
      if (sc.runAsNonRoot !== true) fail(where, "may run as root");
      if (sc.readOnlyRootFilesystem !== true) fail(where, "writable root filesystem");
      if (sc.allowPrivilegeEscalation !== false) fail(where, "allows privilege escalation");
      if (!((sc.capabilities || {}).drop || []).includes("ALL")) fail(where, "keeps capabilities");
      if ((sc.seccompProfile || {}).type !== "RuntimeDefault") fail(where, "no RuntimeDefault seccomp profile");
    }
  }
}

function checkNetworkPolicies() {
  for (const p of ofKind("NetworkPolicy")) {
    if (p.spec.podSelector.matchLabels["app.kubernetes.io/component"] !== "worker") continue;
    const worker = workloads.find((w) => matches(p.spec.podSelector.matchLabels, podLabels(w)));
    if (!worker) continue;
    const c = worker.spec.template.spec.containers[0];
    const allowed = c.ports.filter((x) => ["health", "metrics"].includes(x.name)).map((x) => x.containerPort);
    for (const rule of p.spec.ingress || []) {
      if (!rule.ports) fail(id(p), "a rule admits every port of the workers");
      for (const port of rule.ports || []) {
        if (!allowed.includes(port.port)) fail(id(p), `admits port ${port.port} of the workers`);
      }
    }
  }
}

if (mode === "flags") {
  const seen = new Set();
  for (const w of workloads) {
    for (const c of w.spec.template.spec.containers) {
      for (const arg of [...(c.command || []).slice(1), ...(c.args || [])]) {
        const m = /^(--[A-Za-z0-9][A-Za-z0-9_-]*)/.exec(arg);
        if (m) seen.add(`${c.command[0]} ${m[1]}`);
      }
    }
  }
  console.log([...seen].sort().join("\n"));
  process.exit(0);
}
checkLabels();
checkReferences();
checkPods();
checkNetworkPolicies();
problems.forEach((p) => console.log(`FAIL ${p}`));
console.log(`chart checks: ${docs.length} objects, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
