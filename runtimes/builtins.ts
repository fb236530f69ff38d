/**
 * The runtimes that ship inside the server, by the implementation names
 * MLServer, ModelMesh and KServe write into model settings. A module of the
 * same name on disk (settings folder, models folder, `MLSERVER_MODULE_PATH`,
 * working folder) takes precedence, as MLServer's import path does.
 *
 * @module
 */

/**
 * Built-in runtimes by implementation name. Each entry has the shape of the
 * loader's `BuiltinRuntime` (checked where `server.ts` hands it over; this
 * folder imports nothing from the server but the SDK).
 */
export const BUILTIN_RUNTIMES = {
  "mlserver_xgboost.XGBoostModel": {
    exportName: "XGBoostModel",
    load: () => import("./xgboost/mod.ts"),
  },
  "mlserver_sklearn.SKLearnModel": {
    exportName: "SKLearnModel",
    load: () => import("./sklearn/mod.ts"),
  },
};
