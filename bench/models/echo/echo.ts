/** The echo custom runtime PERFORMANCE.md measures: every input back as an output. */
import { type InferenceRequest, type InferenceResponse, MLModel } from "mlserver";

export class EchoModel extends MLModel {
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
