/**
 * The manifests in deploy/, read the way Kubernetes reads them, and what
 * KServe does to their container before the pod exists: Go-template rendering
 * over the InferenceService's metadata, and the strategic merge of the
 * predictor's env (same name replaces, new names are added).
 *
 * @module
 */

import { parse } from "yaml";
import { repoPath } from "../_helpers.ts";
import type { Runtime } from "./_kserve_rules.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** deploy/ files by role. */
export const MANIFESTS = {
  serverless: "kserve-clusterservingruntime.yaml",
  grpc: "kserve-clusterservingruntime-grpc.yaml",
  modelmesh: "modelmesh-servingruntime.yaml",
} as const;

/**
 * The implementation that serves each format the manifests list (what a user
 * names on KServe, what ModelMesh's adapter or the fallback gives).
 * `custom` is the user's own module.Class.
 */
export const FORMAT_IMPLEMENTATIONS: Record<string, string | undefined> = {
  xgboost: "mlserver_xgboost.XGBoostModel",
  lightgbm: "mlserver_lightgbm.LightGBMModel",
  sklearn: "mlserver_sklearn.SKLearnModel",
  onnx: "mlserver_onnx.OnnxModel",
  custom: undefined,
};

/** The files each built-in runtime looks for in a model folder, in order. */
export const WELLKNOWN_FILES: Record<string, string[]> = {
  xgboost: ["model.bst", "model.json", "model.ubj"],
  lightgbm: ["model.bst", "model.txt"],
  sklearn: ["model.joblib", "model.pickle", "model.pkl", "model.onnx"],
  onnx: ["model.onnx"],
};

/**
 * Parses a deploy/ file. Kubernetes' YAML reader (sigs.k8s.io/yaml over
 * go-yaml) follows YAML 1.1, where an unquoted `on`, `yes` or `no` is a
 * boolean. Parsing as 1.1 makes the schema check see what the API server sees.
 */
export async function manifest(name: string): Promise<Any> {
  return parse(await Deno.readTextFile(repoPath("deploy", name)), { version: "1.1" });
}

/** A manifest as a runtime for the KServe rules (created: larger is newer). */
export function asRuntime(doc: Any, created: number): Runtime {
  return { name: doc.metadata.name, created, spec: doc.spec };
}

/** A container's env as a record (values as strings). */
export function envOf(container: Any): Record<string, string> {
  return Object.fromEntries((container.env ?? []).map((e: Any) => [e.name, String(e.value)]));
}

/**
 * KServe's `ReplacePlaceholders` runs Go's text/template over the container.
 * The manifests may use `{{.Name}}` and `{{.Namespace}}` only: label and
 * annotation lookups render `<no value>` when the InferenceService lacks
 * them. Anything else throws.
 */
export function render(text: string, meta: { name: string; namespace: string }): string {
  return text.replace(/\{\{(.*?)\}\}/g, (_, action: string) => {
    const key = action.trim();
    if (key === ".Name") return meta.name;
    if (key === ".Namespace") return meta.namespace;
    throw new Error(`template action {{${action}}} can render <no value>`);
  });
}

/** The env of a runtime container after KServe merged the predictor's env into it. */
export function mergedEnv(
  container: Any,
  meta: { name: string; namespace: string },
  predictorEnv: Record<string, string> = {},
): Record<string, string> {
  const rendered = Object.fromEntries(
    Object.entries(envOf(container)).map(([k, v]) => [k, render(v, meta)]),
  );
  return { ...rendered, ...predictorEnv };
}
