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
// ports; the scheduler's --cache names a Service of the cache's one node,
// or each of its nodes by pod name under the governing headless Service;
// a farm-cache with --s3-endpoint takes both credentials from a Secret and
// finds its --s3-ca-file in a mounted volume; every $(VAR) of a container's
// arguments is one of its environment variables (Kubernetes passes an
// unknown one on as text). A scheduler group (--etcd) keeps only its
// leader Ready, so: several schedulers need --etcd, and --etcd needs
// --cache; its startup and liveness probes are TCP checks of the health
// port (a gRPC one would restart a standby, whose health says NOT_SERVING)
// and its readiness the gRPC one; --advertise is the pod's IP; it is a
// Deployment whose rollout does not wait for new pods to be Ready, with no
// claim shared by its pods, and a PodDisruptionBudget over it wants at
// most one pod healthy. With --cache etcd://, the cache nodes register in
// that etcd, under that prefix, as their pods' stable names.
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
      // A standby of a scheduler group is NOT_SERVING until it leads.
      const standby = (c.command || [])[0] === "farm-scheduler" && flagValue(c, "etcd") !== undefined;
      for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        const probe = c[kind];
        const tcp = standby && kind !== "readinessProbe";
        const how = tcp ? "tcpSocket" : "grpc";
        if (!probe || !probe[how]) {
          fail(where, tcp ? `no TCP ${kind} (a gRPC one would restart a standby)` : `no gRPC ${kind}`);
        } else if (health && probe[how].port !== health.containerPort) {
          fail(where, `${kind} is not on the health port`);
        }
      }
      const env = new Set((c.env || []).map((e) => e.name));
      for (const arg of c.args || []) {
        for (const [, name] of arg.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
          if (!env.has(name)) fail(where, `${arg} refers to $(${name}), which is not in its env`);
        }
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

// The value of a container's --NAME=VALUE argument, if it passes one.
function flagValue(c, name) {
  const arg = (c.args || []).find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? undefined : arg.slice(name.length + 3);
}
const containersOf = (command) =>
  workloads.flatMap((w) => w.spec.template.spec.containers
    .filter((c) => (c.command || [])[0] === command).map((c) => ({ w, c })));

// An env var's downward-API field, if it comes from one.
const fieldOf = (c, name) =>
  (((c.env || []).find((e) => e.name === name) || {}).valueFrom || {}).fieldRef?.fieldPath;

// --cache etcd://HOST:PORT,.../PREFIX: each cache node registers in that
// etcd, under that prefix, as its pod's name under the governing Service.
function checkRegisteredCache(where, value, cache) {
  const m = /^etcd:\/\/([^/]+)(\/.*)?$/.exec(value);
  if (!m) return fail(where, `${value} is not etcd://HOST:PORT,...[/PREFIX]`);
  const hosts = m[1].split(",");
  const prefix = m[2] || "/farm";
  const c = cache.spec.template.spec.containers.find((x) => (x.command || [])[0] === "farm-cache");
  const where2 = `${id(cache)} container ${c.name}`;
  const etcd = flagValue(c, "etcd");
  if (etcd === undefined) return fail(where2, `does not register in the etcd the scheduler follows (${value})`);
  const nodeHosts = etcd.split(",").map((u) => u.replace(/^http:\/\//, "").replace(/\/$/, ""));
  if (nodeHosts.join(",") !== hosts.join(",")) fail(where2, `--etcd=${etcd} is not the scheduler's ${hosts.join(",")}`);
  if ((flagValue(c, "etcd-prefix") || "/farm") !== prefix) fail(where2, `--etcd-prefix is not the scheduler's ${prefix}`);
  const advertise = flagValue(c, "advertise") || "";
  const a = /^\$\(([A-Za-z_][A-Za-z0-9_]*)\)\.([^.]+)\.[^.]+\.svc:([0-9]+)$/.exec(advertise);
  const grpc = (c.ports || []).find((p) => p.name === "grpc");
  if (!a || fieldOf(c, a[1]) !== "metadata.name" || a[2] !== cache.spec.serviceName ||
      !grpc || a[3] !== String(grpc.containerPort)) {
    fail(where2, `--advertise=${advertise} is not $(POD_NAME).${cache.spec.serviceName}.NAMESPACE.svc:GRPC_PORT`);
  }
}

function checkCacheAddresses() {
  for (const { w, c } of containersOf("farm-scheduler")) {
    const value = flagValue(c, "cache");
    if (value === undefined) continue;
    const where = `${id(w)} --cache`;
    const cache = ofKind("StatefulSet").find((s) => podLabels(s)["app.kubernetes.io/component"] === "cache");
    if (!cache) {
      fail(where, "no cache StatefulSet in the rendering");
      continue;
    }
    if (value.startsWith("etcd://")) {
      checkRegisteredCache(where, value, cache);
      continue;
    }
    const replicas = cache.spec.replicas === undefined ? 1 : cache.spec.replicas;
    const addresses = value.split(",").map((a) => a.replace(/=[0-9.]+$/, ""));
    const cacheServices = ofKind("Service").filter((v) => matches(v.spec.selector, podLabels(cache)));
    const servesOn = (v, port) => v.spec.ports.some((p) => String(p.port) === port);
    if (replicas === 1) {
      const [host, port] = addresses[0].split(":");
      const service = cacheServices.find((v) => v.metadata.name === host.split(".")[0]);
      if (addresses.length !== 1) fail(where, `${addresses.length} addresses for one cache node`);
      else if (!service) fail(where, `${host} is not a Service of the cache`);
      else if (!servesOn(service, port)) fail(where, `${id(service)} has no port ${port}`);
      continue;
    }
    if (addresses.length !== replicas) {
      fail(where, `${addresses.length} addresses for ${replicas} cache nodes`);
      continue;
    }
    const governing = cacheServices.find((v) => v.metadata.name === cache.spec.serviceName);
    addresses.forEach((a, i) => {
      const m = /^([^.]+)\.([^.]+)\.[^.]+\.svc:([0-9]+)$/.exec(a);
      if (!m || m[1] !== `${cache.metadata.name}-${i}` || m[2] !== cache.spec.serviceName) {
        fail(where, `address ${i} is ${a}, not ${cache.metadata.name}-${i}.${cache.spec.serviceName}.NAMESPACE.svc:PORT`);
      } else if (governing && !servesOn(governing, m[3])) {
        fail(where, `${id(governing)} has no port ${m[3]}`);
      }
    });
  }
}

function checkObjectStore() {
  for (const { w, c } of containersOf("farm-cache")) {
    if (flagValue(c, "s3-endpoint") === undefined) continue;
    const where = `${id(w)} container ${c.name}`;
    for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
      const e = (c.env || []).find((x) => x.name === name);
      if (!e) fail(where, `--s3-endpoint without ${name}`);
      else if (!(e.valueFrom || {}).secretKeyRef) fail(where, `${name} does not come from a Secret`);
    }
    const ca = flagValue(c, "s3-ca-file");
    if (ca !== undefined && !(c.volumeMounts || []).some((m) => ca.startsWith(`${m.mountPath}/`))) {
      fail(where, `--s3-ca-file ${ca} is in no mounted volume`);
    }
  }
}

// A PodDisruptionBudget's pods that must stay healthy, if it says.
function desiredHealthy(pdb, replicas) {
  const { minAvailable, maxUnavailable } = pdb.spec;
  if (Number.isInteger(minAvailable)) return minAvailable;
  if (Number.isInteger(maxUnavailable)) return replicas - maxUnavailable;
  return undefined;
}

function checkSchedulerGroups() {
  for (const { w, c } of containersOf("farm-scheduler")) {
    const where = id(w);
    const replicas = w.spec.replicas === undefined ? 1 : w.spec.replicas;
    const etcd = flagValue(c, "etcd");
    if (etcd === undefined) {
      if (replicas > 1) fail(where, `${replicas} schedulers without --etcd`);
      continue;
    }
    if (!flagValue(c, "cache")) fail(where, "--etcd without --cache (farm-scheduler refuses it)");
    const advertise = /^\$\(([A-Za-z_][A-Za-z0-9_]*)\):([0-9]+)$/.exec(flagValue(c, "advertise") || "");
    const grpc = (c.ports || []).find((p) => p.name === "grpc");
    if (!advertise || fieldOf(c, advertise[1]) !== "status.podIP" || !grpc ||
        advertise[2] !== String(grpc.containerPort)) {
      fail(where, "--advertise is not $(POD_IP):GRPC_PORT with POD_IP from status.podIP");
    }
    // Only the leader is ever Ready: a rollout that waits for new pods to
    // be Ready, or available, never ends.
    if (w.kind !== "Deployment") {
      fail(where, "a scheduler group as a StatefulSet: its rolling update waits for each pod to be Ready");
    } else {
      const max = ((w.spec.strategy || {}).rollingUpdate || {}).maxUnavailable;
      if ((w.spec.strategy || {}).type !== "Recreate" && max !== "100%" && !(Number.isInteger(max) && max >= replicas)) {
        fail(where, `rollingUpdate.maxUnavailable ${max}: the rollout would wait for standbys to become available`);
      }
    }
    if (replicas > 1) {
      for (const v of w.spec.template.spec.volumes || []) {
        if (v.persistentVolumeClaim) fail(where, `volume ${v.name}: one claim for ${replicas} schedulers`);
      }
    }
    for (const p of ofKind("PodDisruptionBudget")) {
      if (!matches(p.spec.selector.matchLabels, podLabels(w))) continue;
      const want = desiredHealthy(p, replicas);
      if (want !== undefined && want > 1) {
        fail(id(p), `wants ${want} healthy schedulers; only the leader is ever Ready, so nothing could be evicted`);
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
checkCacheAddresses();
checkObjectStore();
checkSchedulerGroups();
problems.forEach((p) => console.log(`FAIL ${p}`));
console.log(`chart checks: ${docs.length} objects, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
