// Offline validation of the Kubernetes manifests in a directory (CI: .ci/run; no cluster needed).
//   node validate.mjs DIR                    every *.yaml in DIR must pass; exit 1 otherwise
//   node validate.mjs --expect-invalid DIR   every *.yaml in DIR must FAIL (proves the checks can fail)
// Two layers: the Kubernetes API's JSON schemas (kubernetes-models: generated from the API's OpenAPI document,
// checked with ajv) for every document, then Cohortly's own rules for running the cluster (probes, resources,
// disruption budgets, a grace period longer than the silo's shutdown timeout).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const args = process.argv.slice(2);
const expectInvalid = args[0] === "--expect-invalid";
const dir = expectInvalid ? args[1] : args[0];
if (!dir) {
  console.error("usage: node validate.mjs [--expect-invalid] DIR");
  process.exit(2);
}

async function schemaProblems(doc) {
  const { apiVersion, kind } = doc ?? {};
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return ["apiVersion and kind are required"];
  }
  const group = apiVersion.includes("/") ? apiVersion : `v1`;
  let Model;
  try {
    ({ [kind]: Model } = await import(`kubernetes-models/${group}/${kind}`));
  } catch {
    return [`${apiVersion} ${kind} is not a Kubernetes API type`];
  }
  if (!Model) {
    return [`${apiVersion} ${kind} is not a Kubernetes API type`];
  }
  try {
    new Model(doc).validate();
    return [];
  } catch (e) {
    return [e.message];
  }
}

function seconds(duration) {
  // hh:mm:ss as .NET writes a TimeSpan (no days here)
  const m = /^(\d+):(\d{2}):(\d{2})$/.exec(duration ?? "");
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}

function matches(selector, labels) {
  return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v);
}

function cohortlyProblems(docs) {
  const problems = [];
  const budgets = docs.filter((d) => d.kind === "PodDisruptionBudget");
  for (const d of docs.filter((x) => x.kind === "Deployment" || x.kind === "StatefulSet")) {
    const name = `${d.kind} ${d.metadata?.name}`;
    const pod = d.spec?.template;
    for (const c of pod?.spec?.containers ?? []) {
      if (!c.readinessProbe) problems.push(`${name}: container ${c.name} has no readinessProbe`);
      if (!c.livenessProbe) problems.push(`${name}: container ${c.name} has no livenessProbe`);
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) problems.push(`${name}: container ${c.name} requests no cpu or memory`);
      if (!c.resources?.limits?.memory) problems.push(`${name}: container ${c.name} has no memory limit`);
      const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
      const shutdown = seconds(env["Cohortly__Scaling__ShutdownTimeout"]);
      if (env["Cohortly__Scaling__ShutdownTimeout"] !== undefined && shutdown === null) {
        problems.push(`${name}: Cohortly__Scaling__ShutdownTimeout must be hh:mm:ss`);
      }
      if (shutdown !== null && !((pod.spec.terminationGracePeriodSeconds ?? 30) > shutdown)) {
        problems.push(`${name}: terminationGracePeriodSeconds must exceed Cohortly__Scaling__ShutdownTimeout (${shutdown} s), or the kubelet kills the silo while it drains`);
      }
      if (env["Cohortly__Scaling__Kubernetes"] === "true") {
        const labels = pod.metadata?.labels ?? {};
        if (!labels["orleans/serviceId"] || !labels["orleans/clusterId"]) {
          problems.push(`${name}: Kubernetes hosting needs the pod labels orleans/serviceId and orleans/clusterId`);
        }
        for (const v of ["POD_NAME", "POD_NAMESPACE", "POD_IP"]) {
          if (!(c.env ?? []).some((e) => e.name === v)) problems.push(`${name}: Kubernetes hosting needs ${v} in the environment`);
        }
      }
    }
    if (d.kind === "Deployment" && !budgets.some((b) => matches(b.spec?.selector, pod?.metadata?.labels))) {
      problems.push(`${name}: no PodDisruptionBudget selects its pods`);
    }
  }
  return problems;
}

const files = readdirSync(dir).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml")).sort();
if (files.length === 0) {
  console.error(`no manifests in ${dir}`);
  process.exit(2);
}

let failedFiles = 0;
const all = [];
for (const f of files) {
  const problems = [];
  const docs = [];
  for (const parsed of parseAllDocuments(readFileSync(join(dir, f), "utf8"))) {
    if (parsed.errors.length > 0) {
      problems.push(...parsed.errors.map((e) => `YAML: ${e.message}`));
      continue;
    }
    const doc = parsed.toJS();
    if (doc === null) continue;
    docs.push(doc);
    for (const p of await schemaProblems(doc)) problems.push(`${doc.kind ?? "?"} ${doc.metadata?.name ?? "?"}: ${p}`);
  }
  all.push(...docs);
  // Per file too, so a fixture's own rule breaks show against that fixture.
  if (expectInvalid) problems.push(...cohortlyProblems(docs));
  if (problems.length > 0) failedFiles++;
  console.log(`${problems.length === 0 ? "ok     " : "INVALID"} ${f}${problems.map((p) => `\n    ${p}`).join("")}`);
}

if (expectInvalid) {
  const valid = files.length - failedFiles;
  console.log(valid === 0 ? `all ${files.length} invalid manifests were refused` : `${valid} invalid manifest(s) passed`);
  process.exit(valid === 0 ? 0 : 1);
}

const rules = cohortlyProblems(all);
for (const p of rules) console.log(`RULE    ${p}`);
const ok = failedFiles === 0 && rules.length === 0;
console.log(ok ? `${files.length} manifests valid` : "manifests invalid");
process.exit(ok ? 0 : 1);
