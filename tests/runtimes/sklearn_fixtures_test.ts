/**
 * The built-in scikit-learn runtime reproduces scikit-learn: every fixture
 * model, in every format it was saved in (joblib plain/zlib/gzip, pickle
 * protocols 0-5; tests/fixtures/sklearn/make_models.py), answers predict,
 * predict_proba and transform as scikit-learn 1.2.1 did for the same rows,
 * with MLServer's datatypes and shapes.
 */
import assert from "node:assert/strict";
import { ModelSettingsSchema } from "../../src/settings/model_settings.ts";
import { SKLearnModel } from "../../runtimes/sklearn/mod.ts";
import { fixture, type Json } from "../_helpers.ts";
import { assertMatches, DATATYPES, EXPECTED, fixtureInputs, MODELS } from "./_sklearn.ts";

async function loaded(file: string): Promise<SKLearnModel> {
  const model = new SKLearnModel(ModelSettingsSchema.parse({
    name: "sk",
    implementation: "mlserver_sklearn.SKLearnModel",
    parameters: { uri: fixture("sklearn", file) },
  }));
  assert.equal(await model.load(), true);
  return model;
}

function datatypeOf(dtype: string): string {
  return DATATYPES[dtype] ?? (/^[<>|]?[US]\d+$/.test(dtype) ? "BYTES" : `unknown ${dtype}`);
}

Deno.test("SKLearnModel answers what scikit-learn answered, for every fixture and file format", async (t) => {
  for (const name of MODELS) {
    const entry: Json = EXPECTED[name];
    for (const file of entry.files as string[]) {
      await t.step(file, async () => {
        const model = await loaded(file);
        const outputs = ["predict", "predict_proba", "transform"].filter((o) =>
          entry[o] !== undefined
        );
        const response = await model.predict({
          ...fixtureInputs(entry),
          outputs: outputs.map((o) => ({ name: o })),
        });
        assert.deepEqual(response.outputs.map((o) => o.name), outputs);
        for (const output of response.outputs) {
          const expected = entry[output.name] as unknown[];
          assertMatches(output, expected, `${file} ${output.name}`);
          if (output.name === "predict") {
            assert.equal(
              output.datatype,
              datatypeOf(entry.predict_dtype),
              `${file} predict datatype`,
            );
            const shape = entry.predict_shape as number[];
            assert.deepEqual(output.shape, shape.length === 1 ? [shape[0], 1] : shape);
          } else {
            const rows = expected.length;
            assert.deepEqual(output.shape, [rows, (expected[0] as unknown[]).length]);
            const dtype = output.name === "transform" ? entry.transform_dtype : "float64";
            assert.equal(output.datatype, datatypeOf(dtype), `${file} ${output.name} datatype`);
          }
        }
      });
    }
  }
});
