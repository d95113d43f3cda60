#!/usr/bin/env node
// Validates Kubernetes manifests offline, as the API server would take them:
//
//   node validate.js MODULES_DIR FILE...      (FILE: multi-document YAML)
//
// MODULES_DIR holds this folder's package.json installed with `npm ci`
// (scripts/get_kube_validate.sh). Each document is checked against the
// OpenAPI schema of its apiVersion and kind: the Kubernetes API's (1.33)
// and the KEDA and prometheus-operator CRDs', as kubernetes-models compiles
// them to ajv validators. On top of the schema:
//   - strict fields: a field the schema does not define is an error, as
//     with kubectl's default --validate=strict (the compiled validators
//     read every field they know; a Proxy records which ones they read);
//   - what the API server checks in code and OpenAPI cannot say: object
//     names (a Service's is a DNS label, a StatefulSet's at most 52
//     characters for its controller-revision-hash label), label keys and
//     values, port names, volume mounts naming a volume, a workload's
//     selector matching its template, successThreshold 1 on liveness and
//     startup probes.
// A kind without a schema is an error. Prints "ok KIND NAME" per document
// and "FAIL FILE: KIND NAME: PATH: MESSAGE" per problem; exits 1 on any.
"use strict";
const fs = require("fs");
const path = require("path");

const [modulesDir, ...files] = process.argv.slice(2);
if (!modulesDir || files.length === 0) {
  console.error("usage: validate.js MODULES_DIR FILE...");
  process.exit(2);
}
const nodeModules = path.join(modulesDir, "node_modules");
const YAML = require(path.join(nodeModules, "yaml"));

// Custom resources: the package and schema module of each.
const CRDS = {
  "keda.sh/v1alpha1/ScaledObject": ["@kubernetes-models/keda", "KedaShV1alpha1ScaledObject"],
  "monitoring.coreos.com/v1/ServiceMonitor": [
    "@kubernetes-models/prometheus-operator",
    "MonitoringCoreosComV1ServiceMonitor",
  ],
};

const capitalize = (s) => s.charAt(0).toUpperCase() + s.slice(1);

// apps/v1 StatefulSet -> kubernetes-models/_schemas/IoK8sApiAppsV1StatefulSet.js
function schemaFile(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (CRDS[key]) {
    const [pkg, name] = CRDS[key];
    return path.join(nodeModules, pkg, "_schemas", `${name}.js`);
  }
  const parts = apiVersion.split("/");
  const group = parts.length === 1 ? "core" : parts[0].split(".")[0];
  const version = parts[parts.length - 1];
  const name = `IoK8sApi${capitalize(group)}${capitalize(version)}${kind}`;
  return path.join(nodeModules, "kubernetes-models", "_schemas", `${name}.js`);
}

const validators = new Map();
function validatorFor(apiVersion, kind) {
  const file = schemaFile(apiVersion, kind);
  if (!validators.has(file)) {
    validators.set(file, fs.existsSync(file) ? require(file).validate : null);
  }
  return validators.get(file);
}

const escapeKey = (k) => k.replace(/~/g, "~0").replace(/\//g, "~1");

// Wraps `value` so that every key the validator reads is recorded in `seen`.
function tracked(value, where, seen) {
  if (value === null || typeof value !== "object") return value;
  const read = new Set();
  seen.push({ where, value, read });
  const children = new Map();
  return new Proxy(value, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key !== "string" || !Object.prototype.hasOwnProperty.call(target, key)) {
        return v;
      }
      read.add(key);
      if (v === null || typeof v !== "object") return v;
      if (!children.has(key)) children.set(key, tracked(v, `${where}/${escapeKey(key)}`, seen));
      return children.get(key);
    },
  });
}

function schemaProblems(doc) {
  const validate = validatorFor(doc.apiVersion, doc.kind);
  if (!validate) return [["", `no schema for ${doc.apiVersion} ${doc.kind}`]];
  const seen = [];
  if (!validate(tracked(doc, "", seen))) {
    return validate.errors.map((e) => [e.instancePath, formatError(e)]);
  }
  const unknown = [];
  for (const { where, value, read } of seen) {
    if (Array.isArray(value)) continue;
    for (const key of Object.keys(value)) {
      if (!read.has(key)) unknown.push([`${where}/${escapeKey(key)}`, "unknown field"]);
    }
  }
  return unknown;
}

function formatError(e) {
  const p = e.params || {};
  switch (e.keyword) {
    case "type": return `must be ${[].concat(p.type).join(" or ")}`;
    case "required": return `missing required field "${p.missingProperty}"`;
    case "enum": return `must be one of ${JSON.stringify(p.allowedValues)}`;
    case "pattern": return `must match ${p.pattern}`;
    case "format": return `must be a valid ${p.format}`;
    case "oneOf": return "matches none of the allowed forms";
    default: return `${e.keyword} ${JSON.stringify(p)}`;
  }
}

// --- What the API server checks beyond the schema.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const PORT_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function checkName(name, kind, out) {
  if (typeof name !== "string" || name === "") return out.push(["/metadata/name", "missing"]);
  if (kind === "Service") {
    if (name.length > 63 || !DNS1035_LABEL.test(name)) {
      out.push(["/metadata/name", `"${name}" is not a DNS-1035 label (63 characters at most)`]);
    }
    return;
  }
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    out.push(["/metadata/name", `"${name}" is not a DNS-1123 subdomain`]);
  }
  if (kind === "StatefulSet" && name.length > 52) {
    // Its pods' controller-revision-hash label is NAME-HASH (63 at most).
    out.push(["/metadata/name", `"${name}" is longer than 52 characters`]);
  }
}

function checkLabels(labels, where, out) {
  for (const [key, value] of Object.entries(labels || {})) {
    const slash = key.lastIndexOf("/");
    const prefix = slash >= 0 ? key.slice(0, slash) : "";
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if ((slash >= 0 && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) ||
        name.length > 63 || !LABEL_NAME.test(name)) {
      out.push([where, `label key "${key}" is not valid`]);
    }
    if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value)) {
      out.push([`${where}/${escapeKey(key)}`, `label value ${JSON.stringify(value)} is not valid`]);
    }
  }
}

function matches(selector, labels) {
  return Object.entries(selector || {}).every(([k, v]) => (labels || {})[k] === v);
}

function checkPodSpec(spec, where, claimNames, out) {
  const volumes = new Set(claimNames);
  for (const v of spec.volumes || []) {
    if (volumes.has(v.name)) out.push([`${where}/volumes`, `volume "${v.name}" twice`]);
    volumes.add(v.name);
  }
  const containers = [...(spec.initContainers || []), ...(spec.containers || [])];
  containers.forEach((c, i) => {
    const at = `${where}/containers/${i}`;
    for (const m of c.volumeMounts || []) {
      if (!volumes.has(m.name)) out.push([`${at}/volumeMounts`, `no volume "${m.name}"`]);
    }
    const portNames = new Set();
    for (const p of c.ports || []) {
      if (p.name === undefined) continue;
      if (p.name.length > 15 || !PORT_NAME.test(p.name) || !/[a-z]/.test(p.name)) {
        out.push([`${at}/ports`, `port name "${p.name}" is not an IANA service name`]);
      }
      if (portNames.has(p.name)) out.push([`${at}/ports`, `port name "${p.name}" twice`]);
      portNames.add(p.name);
    }
    for (const probe of ["livenessProbe", "startupProbe"]) {
      const t = c[probe] && c[probe].successThreshold;
      if (t !== undefined && t !== 1) out.push([`${at}/${probe}/successThreshold`, "must be 1"]);
    }
  });
}

function apiServerProblems(doc) {
  const out = [];
  const meta = doc.metadata || {};
  checkName(meta.name, doc.kind, out);
  if (meta.namespace !== undefined && !DNS_LABEL.test(meta.namespace)) {
    out.push(["/metadata/namespace", "not a DNS label"]);
  }
  checkLabels(meta.labels, "/metadata/labels", out);
  const spec = doc.spec || {};
  if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"].includes(doc.kind)) {
    const template = spec.template || {};
    const labels = (template.metadata || {}).labels;
    checkLabels(labels, "/spec/template/metadata/labels", out);
    checkLabels((spec.selector || {}).matchLabels, "/spec/selector/matchLabels", out);
    if (!matches((spec.selector || {}).matchLabels, labels)) {
      out.push(["/spec/selector", "does not match the template's labels"]);
    }
    const claims = (spec.volumeClaimTemplates || []).map((c) => (c.metadata || {}).name);
    checkPodSpec(template.spec || {}, "/spec/template/spec", claims, out);
  }
  if (doc.kind === "Service") {
    for (const p of spec.ports || []) {
      if (p.name !== undefined && (p.name.length > 63 || !DNS_LABEL.test(p.name))) {
        out.push(["/spec/ports", `port name "${p.name}" is not a DNS label`]);
      }
    }
    checkLabels(spec.selector, "/spec/selector", out);
  }
  return out;
}

let failures = 0;
for (const file of files) {
  const text = fs.readFileSync(file, "utf8");
  // Kubernetes reads YAML 1.1 (sigs.k8s.io/yaml): `on` and `yes` are booleans.
  const docs = YAML.parseAllDocuments(text, { version: "1.1" });
  for (const d of docs) {
    if (d.errors.length > 0) {
      d.errors.forEach((e) => console.log(`FAIL ${file}: YAML: ${e.message}`));
      failures += d.errors.length;
      continue;
    }
    const doc = d.toJS();
    if (doc === null || doc === undefined) continue;
    const label = `${doc.kind} ${(doc.metadata || {}).name}`;
    if (typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") {
      console.log(`FAIL ${file}: ${label}: no apiVersion or kind`);
      failures++;
      continue;
    }
    const problems = [...schemaProblems(doc), ...apiServerProblems(doc)];
    for (const [where, message] of problems) {
      console.log(`FAIL ${file}: ${label}: ${where || "/"}: ${message}`);
    }
    failures += problems.length;
    if (problems.length === 0) console.log(`ok ${label}`);
  }
}
process.exit(failures === 0 ? 0 : 1);
