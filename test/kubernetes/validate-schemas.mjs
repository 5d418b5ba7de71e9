// Validates Kubernetes objects against the OpenAPI schemas of Kubernetes 1.36.0 (kubernetes-models
// 5.1.0) and the Prometheus Operator's v0.91.0 types (@kubernetes-models/prometheus-operator 6.0.0),
// compiled validators of @kubernetes-models/validate.
//
//   node test/kubernetes/validate-schemas.mjs < {"rendering": [object, ...], ...}
//   prints {"rendering": [{"kind", "name", "errors": [...]}, ...], ...}
//
// A separate ES module run by plain node because those packages are ES modules only, which jest's
// CommonJS module loader (used for every other test) cannot load.
import { readFileSync } from "node:fs";

/** The module of a model class, by apiVersion. */
function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  return group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

async function check(object) {
  const kind = String(object?.kind ?? "");
  const name = String(object?.metadata?.name ?? "");
  const where = `${object?.apiVersion ?? "?"} ${kind || "?"}`;
  if (typeof object?.apiVersion !== "string" || kind === "") return { kind, name, errors: ["no apiVersion or kind"] };
  let Model;
  try {
    Model = (await import(modulePath(object.apiVersion, kind)))[kind];
  } catch (err) {
    return { kind, name, errors: [`no schema for ${where} (${err.code ?? err.message})`] };
  }
  if (typeof Model !== "function") return { kind, name, errors: [`no schema for ${where}`] };
  try {
    new Model(object).validate();
    return { kind, name, errors: [] };
  } catch (err) {
    // ajv's message: "data/spec/x must be integer, data/spec/y must have required property 'z'".
    return { kind, name, errors: String(err.message).split(/, (?=data[/ ])/) };
  }
}

const input = JSON.parse(readFileSync(0, "utf8"));
const output = {};
for (const [rendering, objects] of Object.entries(input)) {
  output[rendering] = [];
  for (const object of objects) output[rendering].push(await check(object));
}
process.stdout.write(JSON.stringify(output));
