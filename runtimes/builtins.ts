/**
 * The runtimes that ship inside the server, by the implementation names
 * MLServer, ModelMesh and KServe write into model settings. A module of the
 * same name on disk (settings folder, models folder, `MLSERVER_MODULE_PATH`,
 * working folder) takes precedence, as MLServer's import path does.
 *
 * @module
 */

/** A runtime module, imported on first use, and the class it exports. */
export interface BuiltinRuntime {
  load(): Promise<Record<string, unknown>>;
  exportName: string;
}

/** Built-in runtimes by implementation name. */
export const BUILTIN_RUNTIMES: Readonly<Record<string, BuiltinRuntime>> = {
  "mlserver_xgboost.XGBoostModel": {
    exportName: "XGBoostModel",
    load: () => import("./xgboost/mod.ts"),
  },
};
