/**
 * The Model contract against the server's own implementations: the built-in
 * XGBoost runtime, the structural adapter, and every link of the wrapper
 * chain.
 */
import { XGBoostModel } from "../../runtimes/xgboost/mod.ts";
import type { InferenceRequest, InferenceResponse } from "../../src/protocol/types.ts";
import { ConcurrencyLimitedModel } from "../../src/runtime/concurrency.ts";
import { loadImplementation } from "../../src/runtime/loader.ts";
import { MLModel, type Model } from "../../src/runtime/model.ts";
import { ModelWrapper } from "../../src/runtime/wrapper.ts";
import { resolveModelSettings } from "../../src/settings/model_settings.ts";
import { fixture, RUNTIMES } from "../_helpers.ts";
import { runModelContract } from "./contract.ts";

class Echo extends MLModel {
  predict(request: InferenceRequest): Promise<InferenceResponse> {
    return Promise.resolve({
      model_name: this.name,
      outputs: request.inputs.map(({ name, datatype, shape, data }) => ({
        name,
        datatype,
        shape,
        data,
      })),
    });
  }
}

/** The plainest link: forwards everything. */
class Forwarding extends ModelWrapper {}

const echoRequest = (): InferenceRequest => ({
  inputs: [{ name: "x", datatype: "FP32", shape: [2], data: new Float32Array([1, 2]) }],
});

runModelContract("XGBoostModel", {
  create: () =>
    new XGBoostModel(resolveModelSettings({
      name: "xgb",
      parameters: { uri: fixture("xgboost", "iris_softprob.json") },
    })),
  request: () => ({
    inputs: [{
      name: "input-0",
      datatype: "FP32",
      shape: [1, 4],
      data: new Float32Array([5.1, 3.5, 1.4, 0.2]),
    }],
  }),
});

runModelContract("the structural adapter (a class that only used import type)", {
  create: async () => {
    const settings = resolveModelSettings({
      name: "typed",
      implementation: `${fixture("runtimes", "type_only.ts")}:TypeOnlyModel`,
    });
    const ModelClass = await loadImplementation(settings, {
      modelsRoot: "/nonexistent",
      modulePath: [],
      cwd: Deno.cwd(),
    });
    return new ModelClass(settings);
  },
  request: echoRequest,
});

runModelContract("MLModel subclass loaded from disk", {
  create: async () => {
    const settings = resolveModelSettings({ name: "echo", implementation: RUNTIMES.echo });
    const ModelClass = await loadImplementation(settings, {
      modelsRoot: "/nonexistent",
      modulePath: [],
      cwd: Deno.cwd(),
    });
    return new ModelClass(settings);
  },
  request: echoRequest,
});

const inner = new WeakMap<Model, Model>();
function wrapped(build: (runtime: Model) => Model) {
  return () => {
    const runtime = new Echo(resolveModelSettings({ name: "e", max_concurrency: 2 }));
    const model = build(runtime);
    inner.set(model, runtime);
    return model;
  };
}

runModelContract("ConcurrencyLimitedModel", {
  create: wrapped((runtime) => new ConcurrencyLimitedModel(runtime)),
  request: echoRequest,
  innermost: (model) => inner.get(model)!,
});

runModelContract("ModelWrapper (two links deep)", {
  create: wrapped((runtime) => new Forwarding(new ConcurrencyLimitedModel(runtime))),
  request: echoRequest,
  innermost: (model) => inner.get(model)!,
});
