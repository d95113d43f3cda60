#!/usr/bin/env node
// Every value of the chart is documented in its README:
//
//   node values_doc_check.js MODULES_DIR VALUES_YAML VALUES_SCHEMA README
//
// Walks values.yaml beside values.schema.json: every value must appear in
// the README as `dotted.path`, down to the leaves of the objects the schema
// describes field by field. Objects the schema leaves free-form (affinity,
// ...) and the shapes it defines once and uses in several places (probes,
// resources, podDisruptionBudget: its "definitions") are documented by
// their own key. Prints each undocumented path and exits 1 if there is one.
"use strict";
const fs = require("fs");
const path = require("path");

const [modulesDir, valuesFile, schemaFile, readmeFile] = process.argv.slice(2);
const YAML = require(path.join(modulesDir, "node_modules", "yaml"));
const values = YAML.parse(fs.readFileSync(valuesFile, "utf8"));
const schema = JSON.parse(fs.readFileSync(schemaFile, "utf8"));
const readme = fs.readFileSync(readmeFile, "utf8");

const missing = [];
const described = (node, value) =>
  node && !node.$ref && node.properties && value !== null && typeof value === "object" &&
  !Array.isArray(value);

function walk(value, node, prefix) {
  for (const key of Object.keys(value)) {
    const dotted = prefix ? `${prefix}.${key}` : key;
    const child = node.properties[key];
    if (described(child, value[key])) walk(value[key], child, dotted);
    else if (!readme.includes("`" + dotted + "`")) missing.push(dotted);
  }
}
walk(values, schema, "");
missing.forEach((m) => console.log(`undocumented value: ${m}`));
process.exit(missing.length === 0 ? 0 : 1);
