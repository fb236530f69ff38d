/**
 * The contract every `Model` keeps, whatever it is (a built-in runtime, a
 * custom one, the structural adapter, a wrapper): one suite, many
 * implementations (hono's `runTest`). A runtime's test calls
 * `runModelContract` with a factory for a fresh model and a request it can
 * answer.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ServerError } from "../../src/errors.ts";
import type { InferenceRequest } from "../../src/protocol/types.ts";
import type { Model } from "../../src/runtime/model.ts";

/** What the suite needs from one implementation. */
export interface ContractSubject {
  /** A new, unloaded model. */
  create(): Model | Promise<Model>;
  /** A request the model answers once loaded. */
  request(): InferenceRequest;
  /** The innermost model, when `create` returns a wrapper: it must see readiness. */
  innermost?(model: Model): Model;
}

/** Registers the contract's steps as one test named after the implementation. */
export function runModelContract(name: string, subject: ContractSubject): void {
  Deno.test(`${name} keeps the Model contract`, async (t) => {
    const model = await subject.create();
    const signal = new AbortController().signal;

    await t.step("identity comes from its settings", () => {
      assert.equal(model.name, model.settings.name);
      assert.equal(model.version, model.settings.parameters.version);
    });

    await t.step("load() resolves true", async () => {
      assert.equal(await model.load(), true);
    });

    await t.step("readiness set from outside is seen inside", () => {
      const inner = subject.innermost?.(model) ?? model;
      assert.equal(model.ready, false, "not ready before the registry says so");
      model.ready = true;
      assert.equal(model.ready, true);
      assert.equal(inner.ready, true, "the runtime inside sees it");
    });

    await t.step("predict() answers with outputs whose data fills their shape", async () => {
      const response = await model.predict(subject.request(), { signal });
      assert.ok(Array.isArray(response.outputs));
      for (const output of response.outputs) {
        const count = output.shape.reduce((a, b) => a * b, 1);
        assert.equal(output.data.length, count, `output '${output.name}'`);
      }
    });

    await t.step("predict() reports bad input as a rejected promise, never a throw", async () => {
      let result: Promise<unknown>;
      try {
        result = model.predict({ inputs: [] }, { signal });
      } catch (err) {
        assert.fail(`predict() threw synchronously: ${err}`);
      }
      await result.then(() => {}, () => {});
    });

    await t.step("predictStream() streams, or refuses with a ServerError (501)", async () => {
      async function* one() {
        yield subject.request();
      }
      try {
        for await (const response of model.predictStream(one(), { signal })) {
          assert.ok(Array.isArray(response.outputs));
        }
      } catch (err) {
        assert.ok(err instanceof ServerError, `not a ServerError: ${err}`);
        assert.equal(err.status, 501);
      }
    });

    await t.step("metadata() names the model", async () => {
      const metadata = await model.metadata();
      assert.ok(metadata.name === model.name || metadata.name === "", metadata.name);
      assert.equal(typeof metadata.platform, "string");
    });

    await t.step("unload() resolves true", async () => {
      model.ready = false;
      assert.equal(await model.unload(), true);
    });
  });
}
