/**
 * The ClusterServingRuntimes KServe ships, as facts: the entries of
 * kserve/kserve `config/runtimes/*.yaml` that list a format this server
 * serves, at v0.20.0 (unchanged on main at aaac4e2) and v0.15.0.
 *
 * @module
 */

import type { ModelFormat, Runtime } from "./_kserve_rules.ts";

const formats = (
  list: [name: string, version: string | undefined, autoSelect?: boolean, priority?: number][],
): ModelFormat[] =>
  list.map(([name, version, autoSelect, priority]) => ({
    name,
    ...(version === undefined ? {} : { version }),
    ...(autoSelect === undefined ? {} : { autoSelect }),
    ...(priority === undefined ? {} : { priority }),
  }));

/**
 * The ClusterServingRuntimes that kserve/kserve v0.20.0 installs
 * (`config/runtimes/kustomization.yaml`) and that list a format this server
 * serves.
 */
export const KSERVE_RUNTIMES_V0_20: Runtime[] = [
  {
    name: "kserve-mlserver",
    created: 0,
    spec: {
      protocolVersions: ["v2"],
      supportedModelFormats: formats([
        ["sklearn", "0", true, 2],
        ["sklearn", "1", true, 2],
        ["xgboost", "1", true, 2],
        ["xgboost", "2", true, 2],
        ["lightgbm", "3", true, 2],
        ["lightgbm", "4", true, 2],
        ["mlflow", "1", true, 1],
        ["mlflow", "2", true, 1],
      ]),
    },
  },
  {
    name: "kserve-sklearnserver",
    created: 0,
    spec: {
      protocolVersions: ["v1", "v2"],
      supportedModelFormats: formats([["sklearn", "1", true, 1]]),
    },
  },
  {
    name: "kserve-xgbserver",
    created: 0,
    spec: {
      protocolVersions: ["v1", "v2"],
      supportedModelFormats: formats([["xgboost", "2", true, 1]]),
    },
  },
  {
    name: "kserve-lgbserver",
    created: 0,
    spec: {
      protocolVersions: ["v1", "v2"],
      supportedModelFormats: formats([["lightgbm", "4", true, 1]]),
    },
  },
  {
    name: "kserve-tritonserver",
    created: 0,
    spec: {
      protocolVersions: ["v2", "grpc-v2"],
      supportedModelFormats: formats([
        ["tensorrt", "8", true, 1],
        ["tensorflow", "1", true, 1],
        ["tensorflow", "2", true, 1],
        ["onnx", "1", true, 1],
        ["pytorch", "1"],
        ["triton", "2", true, 1],
      ]),
    },
  },
  {
    name: "kserve-predictiveserver",
    created: 0,
    spec: {
      multiModel: false,
      protocolVersions: ["v1", "v2"],
      supportedModelFormats: formats([
        ["sklearn", "1", false, 3],
        ["xgboost", "2", false, 3],
        ["lightgbm", "4", false, 3],
      ]),
    },
  },
];

/**
 * In v0.20.0 `config/runtimes/` but not in its kustomization.yaml, so not
 * installed by default.
 */
export const KSERVE_OPENVINO_V0_20: Runtime = {
  name: "kserve-openvino",
  created: 0,
  spec: {
    protocolVersions: ["v1", "v2", "grpc-v2"],
    supportedModelFormats: formats([
      ["openvino", "10", true, 1],
      ["onnx", "1", true, 2],
      ["tensorflow", "1", true, 3],
      ["huggingface", undefined, true],
    ]),
  },
};

/**
 * v0.15.0 differs in the formats above only in these two runtimes, and it
 * ships neither kserve-predictiveserver nor kserve-openvino.
 */
export const KSERVE_RUNTIMES_V0_15: Runtime[] = KSERVE_RUNTIMES_V0_20
  .filter((r) => r.name !== "kserve-predictiveserver")
  .map((r) =>
    r.name === "kserve-xgbserver"
      ? { ...r, spec: { ...r.spec, supportedModelFormats: formats([["xgboost", "1", true, 1]]) } }
      : r.name === "kserve-lgbserver"
      ? { ...r, spec: { ...r.spec, supportedModelFormats: formats([["lightgbm", "3", true, 1]]) } }
      : r
  );
