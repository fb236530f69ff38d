/**
 * The files `mlserver init` writes: a runtime module written against the
 * SDK, a model folder with its settings and model file, a test, a README and
 * a deno.json that maps `"mlserver"` to a copy of the SDK.
 *
 * @module
 */

/** Where the SDK copy goes inside the new project. */
export const SDK_FOLDER = ".mlserver/sdk";

/** The scaffold's files (paths relative to the project) besides the SDK copy. */
export function scaffoldFiles(
  sdkImports: Readonly<Record<string, string>>,
  compilerOptions: Readonly<Record<string, unknown>> = { strict: true },
): Record<string, string> {
  return {
    "deno.json": JSON.stringify(
      {
        imports: { mlserver: `./${SDK_FOLDER}/mod.ts`, ...sdkImports },
        tasks: { test: "deno test --allow-read" },
        // The server's own settings: the SDK copy is checked and formatted as in its repository.
        compilerOptions,
        fmt: { lineWidth: 100, exclude: [`${SDK_FOLDER}/`] },
        lint: { exclude: [`${SDK_FOLDER}/`] },
        // protobufjs (under grpc-js) has an install script nothing here needs: denied, Deno does not warn.
        allowScripts: { deny: ["npm:protobufjs"] },
      },
      null,
      2,
    ) + "\n",
    "models/my-model/model-settings.json": JSON.stringify(
      {
        name: "my-model",
        implementation: "my_model.MyModel",
        inputs: [{ name: "x", datatype: "FP32", shape: [-1, 3] }],
        outputs: [{ name: "y", datatype: "FP32", shape: [-1, 1] }],
      },
      null,
      2,
    ) + "\n",
    "models/my-model/model.json": JSON.stringify({ weights: [0.5, -1, 2], bias: 0.25 }, null, 2) +
      "\n",
    "models/my-model/my_model.ts": RUNTIME,
    "my_model_test.ts": TEST,
    "README.md": README,
  };
}

const RUNTIME = `/**
 * A custom runtime: a linear model y = x . weights + bias, read from model.json.
 * Replace the body of load() and predict() with your own model.
 */
import {
  getModelUri,
  InferenceError,
  type InferenceRequest,
  type InferenceResponse,
  MLModel,
  type Tensor,
} from "mlserver";

interface Linear {
  weights: number[];
  bias: number;
}

export class MyModel extends MLModel {
  #model: Linear | undefined;

  override async load(): Promise<boolean> {
    // parameters.uri, else this folder; the first of these files found in it.
    const uri = await getModelUri(this.settings, { wellknownFilenames: ["model.json"] });
    this.#model = JSON.parse(await Deno.readTextFile(uri));
    return true;
  }

  // deno-lint-ignore require-await
  async predict(request: InferenceRequest): Promise<InferenceResponse> {
    const { weights, bias } = this.#model!;
    const input = request.inputs.find((i) => i.name === "x");
    if (input === undefined) throw new InferenceError("Expected an input named 'x'");
    const x = this.decode(input, "np") as Tensor;
    const [rows, columns] = x.shape;
    if (x.shape.length !== 2 || columns !== weights.length) {
      throw new InferenceError(
        \`Input 'x' must have shape [N, \${weights.length}], got [\${x.shape}]\`,
      );
    }
    const data = x.data as Float32Array;
    const y = new Float32Array(rows!);
    for (let row = 0; row < rows!; row++) {
      let sum = bias;
      for (let c = 0; c < columns; c++) sum += weights[c]! * data[row * columns + c]!;
      y[row] = sum;
    }
    return {
      model_name: this.name,
      outputs: [this.encode("y", { data: y, shape: [rows!, 1], datatype: "FP32" })],
    };
  }
}
`;

const TEST = `import assert from "node:assert/strict";
import { resolveModelSettings } from "mlserver";
import { MyModel } from "./models/my-model/my_model.ts";

const settings = resolveModelSettings({
  name: "my-model",
  implementation: "my_model.MyModel",
  parameters: { uri: new URL("./models/my-model/", import.meta.url).pathname },
});

Deno.test("MyModel computes x . weights + bias per row", async () => {
  const model = new MyModel(settings);
  assert.equal(await model.load(), true);
  const response = await model.predict({
    inputs: [{
      name: "x",
      datatype: "FP32",
      shape: [2, 3],
      data: new Float32Array([1, 2, 3, 0, 0, 0]),
    }],
  });
  const y = response.outputs[0]!;
  assert.deepEqual(y.shape, [2, 1]);
  assert.deepEqual(Array.from(y.data as Float32Array), [0.5 - 2 + 6 + 0.25, 0.25]);
});

Deno.test("MyModel rejects inputs of the wrong shape", async () => {
  const model = new MyModel(settings);
  await model.load();
  await assert.rejects(
    model.predict({
      inputs: [{ name: "x", datatype: "FP32", shape: [1, 2], data: new Float32Array(2) }],
    }),
    { name: "InferenceError" },
  );
});
`;

const README = `# My model

A custom runtime for mlserver-deno, made by \`mlserver init\`.

- \`models/my-model/my_model.ts\`: the runtime (a class with \`load()\` and \`predict()\`).
- \`models/my-model/model-settings.json\`: names the model and its implementation.
- \`models/my-model/model.json\`: the model file \`load()\` reads.
- \`my_model_test.ts\`: its test. \`.mlserver/sdk/\`: a copy of the SDK the test imports as \`"mlserver"\`
  (the server gives its own to your module when it runs; \`mlserver init --sdk\` refreshes the copy
  after an upgrade).

\`\`\`sh
deno task test                      # run the test
mlserver start models               # serve it: http://localhost:8080/v2/models/my-model/infer
mlserver build . -t my-model:latest # an image with the server and this folder
\`\`\`

A request, with curl or with \`mlserver infer\` (one V2 request per line of a file):

\`\`\`sh
curl -s localhost:8080/v2/models/my-model/infer \\
  -d '{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]}'
echo '{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]}' > requests.jsonl
mlserver infer -m my-model -i requests.jsonl -o responses.jsonl
\`\`\`

From TypeScript, \`InferenceClient\` (REST or gRPC) comes with the SDK:

\`\`\`ts
import { InferenceClient } from "mlserver";

using client = new InferenceClient({ url: "http://localhost:8080" });
const response = await client.infer("my-model", {
  inputs: [{ name: "x", datatype: "FP32", shape: [1, 3], data: new Float32Array([1, 2, 3]) }],
});
console.log(response.outputs[0]!.data); // Float32Array(1) [ 4.75 ]
\`\`\`
`;
