/**
 * The runtime SDK: what a custom model imports, as `"mlserver"`.
 *
 * ```ts
 * import { MLModel, InferenceError, getModelUri, type InferenceRequest } from "mlserver";
 * ```
 *
 * A runtime extends `MLModel`, implements `load()` and `predict()`, and is
 * named by `implementation` in `model-settings.json` (or
 * `MLSERVER_MODEL_IMPLEMENTATION`) as `module.Class`. `InferenceClient`
 * calls a running server over REST or gRPC.
 *
 * @module
 */

export {
  type CodecChoice,
  MLModel,
  type Model,
  type PredictContext,
  settingsMetadata,
} from "./runtime/model.ts";
export { getModelUri, type GetModelUriOptions } from "./runtime/model_uri.ts";
export { log, register } from "./runtime/custom_metrics.ts";
export {
  CancelledError,
  CodecError,
  DeadlineExceededError,
  GrpcStatus,
  type GrpcStatusCode,
  InferenceClientError,
  InferenceError,
  InvalidModelUriError,
  InvalidRequestError,
  InvalidSettingsError,
  ModelNotFoundError,
  ModelNotReadyError,
  RequestTooLargeError,
  RuntimeLoadError,
  ServerError,
  UnavailableError,
  UnimplementedError,
  WorkerError,
} from "./errors.ts";
export type {
  InferenceRequest,
  InferenceResponse,
  MetadataTensor,
  ModelMetadata,
  OutputData,
  Parameters,
  RepositoryIndexItem,
  RequestInput,
  RequestOutput,
  ResponseOutput,
  ServerMetadata,
} from "./protocol/types.ts";
export type { BytesElement, Datatype, TensorData, TypedArray } from "./protocol/datatypes.ts";
export {
  type ModelParameters,
  type ModelSettings,
  type ModelSettingsLike,
  resolveModelSettings,
} from "./settings/model_settings.ts";
export { createLogger, type Logger, type LoggerOptions, type LogLevel } from "./logging.ts";
export type {
  Column,
  InputCodec,
  InputDecoder,
  RequestCodec,
  Table,
  Tensor,
  TensorLike,
} from "./codecs/codec.ts";
export { CodecRegistry, defaultCodecs } from "./codecs/registry.ts";
export { NumpyCodec } from "./codecs/tensor.ts";
export { StringCodec } from "./codecs/string.ts";
export { Base64Codec } from "./codecs/base64.ts";
export { DatetimeCodec } from "./codecs/datetime.ts";
export { NumpyRequestCodec, StringRequestCodec } from "./codecs/request.ts";
export { PandasCodec, PandasJsonCodec } from "./codecs/pandas.ts";
export {
  type CallOptions,
  InferenceClient,
  type InferenceClientOptions,
  type InferOptions,
  type RetryInfo,
} from "./client/client.ts";
