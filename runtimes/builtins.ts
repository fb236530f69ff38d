/**
 * The runtimes that ship inside the server, by the implementation names
 * MLServer, ModelMesh and KServe write into model settings. A module of the
 * same name on disk (settings folder, models folder, `MLSERVER_MODULE_PATH`,
 * working folder) takes precedence, as MLServer's import path does.
 *
 * @module
 */

import { getModelUri, type ModelSettings } from "mlserver";

/**
 * Built-in runtimes by implementation name. Each entry has the shape of the
 * loader's `BuiltinRuntime` (checked where `server.ts` hands it over; this
 * folder imports nothing from the server but the SDK).
 */
export const BUILTIN_RUNTIMES = {
  "mlserver_onnx.OnnxModel": {
    exportName: "OnnxModel",
    load: () => import("./onnx/mod.ts"),
  },
  "mlserver_xgboost.XGBoostModel": {
    exportName: "XGBoostModel",
    load: () => import("./xgboost/mod.ts"),
  },
  "mlserver_lightgbm.LightGBMModel": {
    exportName: "LightGBMModel",
    load: () => import("./lightgbm/mod.ts"),
  },
  "mlserver_sklearn.SKLearnModel": {
    exportName: "SKLearnModel",
    // One name, two formats: a scikit-learn model exported to ONNX runs on the
    // ONNX runtime with the sklearn conventions; pickles on the pickle reader.
    load: async (settings: ModelSettings): Promise<Record<string, unknown>> =>
      await isOnnxExport(settings)
        ? { SKLearnModel: (await import("./onnx/sklearn.ts")).SKLearnOnnxModel }
        : await import("./sklearn/mod.ts"),
  },
};

/**
 * Whether a scikit-learn model's file is `model.onnx`: the uri names an ONNX
 * file, or its folder holds `model.onnx` and none of the pickle names, which
 * come first (MLServer's order).
 */
async function isOnnxExport(settings: ModelSettings): Promise<boolean> {
  try {
    const uri = await getModelUri(settings, {
      wellknownFilenames: ["model.joblib", "model.pickle", "model.pkl", "model.onnx"],
    });
    return uri.endsWith(".onnx");
  } catch {
    return false; // the pickle runtime's load() reports the uri problem
  }
}
