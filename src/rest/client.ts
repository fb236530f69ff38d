/**
 * The client's REST transport, on `fetch`: the V2 endpoints, inference in
 * JSON or with the binary tensor extension (`rest_client_codec.ts`), and
 * `infer_stream` read as server-sent events.
 *
 * @module
 */

import { InferenceClientError } from "../errors.ts";
import type { ClientTransport, InferCall, TransportCall } from "../protocol/transport.ts";
import type {
  InferenceRequest,
  InferenceResponse,
  ModelMetadata,
  RepositoryIndexItem,
  ServerMetadata,
} from "../protocol/types.ts";
import { HEADER_LENGTH } from "./binary.ts";
import { decodeRestResponse, encodeRestRequest, parseResponseJson } from "./client_codec.ts";

/** How to reach the server. */
export interface RestTransportOptions {
  /** PEM certificates of the authorities to trust (besides the system's). */
  caCerts?: readonly string[] | undefined;
}

/** A REST connection to one server. */
export class RestTransport implements ClientTransport {
  readonly #base: string;
  readonly #client: Deno.HttpClient | undefined;

  /** @param base `http://host:port` or `https://host:port`, without a trailing slash */
  constructor(base: string, options: RestTransportOptions = {}) {
    this.#base = base.replace(/\/+$/, "");
    this.#client = options.caCerts === undefined
      ? undefined
      : Deno.createHttpClient({ caCerts: [...options.caCerts] });
  }

  async live(call: TransportCall): Promise<boolean> {
    return await this.#health("/v2/health/live", call);
  }

  async ready(call: TransportCall): Promise<boolean> {
    return await this.#health("/v2/health/ready", call);
  }

  async modelReady(name: string, call: TransportCall): Promise<boolean> {
    return await this.#health(`${modelPath(name, call.version)}/ready`, call);
  }

  async serverMetadata(call: TransportCall): Promise<ServerMetadata> {
    return await this.#json("GET", "/v2", undefined, call) as ServerMetadata;
  }

  async modelMetadata(name: string, call: TransportCall): Promise<ModelMetadata> {
    return await this.#json("GET", modelPath(name, call.version), undefined, call) as ModelMetadata;
  }

  async infer(
    name: string,
    request: InferenceRequest,
    call: InferCall,
  ): Promise<InferenceResponse> {
    const { body, jsonLength } = encodeRestRequest(request, call.binary);
    const headers = new Headers(call.headers);
    headers.set(
      "content-type",
      jsonLength === undefined ? "application/json" : "application/octet-stream",
    );
    if (jsonLength !== undefined) headers.set(HEADER_LENGTH, String(jsonLength));
    const response = await this.#fetch(`${modelPath(name, call.version)}/infer`, {
      method: "POST",
      headers,
      body,
      signal: call.signal,
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    return decodeRestResponse(bytes, response.headers.get(HEADER_LENGTH));
  }

  async *inferStream(
    name: string,
    requests: AsyncIterable<InferenceRequest>,
    call: InferCall,
  ): AsyncGenerator<InferenceResponse> {
    const request = await single(requests);
    // Server-sent events carry JSON only.
    const { body } = encodeRestRequest(request, false);
    const headers = new Headers(call.headers);
    headers.set("content-type", "application/json");
    headers.set("accept", "text/event-stream");
    const response = await this.#fetch(`${modelPath(name, call.version)}/infer_stream`, {
      method: "POST",
      headers,
      body,
      signal: call.signal,
    });
    for await (const event of serverSentEvents(response.body!)) {
      if (event.name === "error") {
        const parsed = parseResponseJson(new TextEncoder().encode(event.data)) as {
          error?: string;
        };
        throw new InferenceClientError(parsed.error ?? event.data);
      }
      yield decodeRestResponse(new TextEncoder().encode(event.data), null);
    }
  }

  async repositoryIndex(ready: boolean, call: TransportCall): Promise<RepositoryIndexItem[]> {
    return await this.#json(
      "POST",
      "/v2/repository/index",
      { ready },
      call,
    ) as RepositoryIndexItem[];
  }

  async loadModel(name: string, call: TransportCall): Promise<void> {
    await this.#empty("POST", `/v2/repository/models/${encodeURIComponent(name)}/load`, call);
  }

  async unloadModel(name: string, call: TransportCall): Promise<void> {
    await this.#empty("POST", `/v2/repository/models/${encodeURIComponent(name)}/unload`, call);
  }

  close(): void {
    this.#client?.close();
  }

  /** A fetch whose failures are client errors: no answer (retryable) or an error status. */
  async #fetch(path: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(
        this.#base + path,
        this.#client === undefined ? init : { ...init, client: this.#client },
      );
    } catch (err) {
      if (init.signal?.aborted) throw init.signal.reason;
      throw new InferenceClientError(`Cannot reach ${this.#base}: ${(err as Error).message}`, {
        retryable: true,
        cause: err,
      });
    }
    if (response.ok) return response;
    throw new InferenceClientError(await errorMessage(response), { status: response.status });
  }

  async #health(path: string, call: TransportCall): Promise<boolean> {
    const init = { headers: call.headers, signal: call.signal };
    try {
      await (await this.#fetch(path, init)).body?.cancel();
      return true;
    } catch (err) {
      // 400 is "not ready" (MLServer's answer), anything else an error.
      if (err instanceof InferenceClientError && err.status === 400) return false;
      throw err;
    }
  }

  async #json(method: string, path: string, body: unknown, call: TransportCall): Promise<unknown> {
    const headers = new Headers(call.headers);
    if (body !== undefined) headers.set("content-type", "application/json");
    const response = await this.#fetch(path, {
      method,
      headers,
      signal: call.signal,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return parseResponseJson(new Uint8Array(await response.arrayBuffer()));
  }

  async #empty(method: string, path: string, call: TransportCall): Promise<void> {
    const response = await this.#fetch(path, {
      method,
      headers: call.headers,
      signal: call.signal,
    });
    await response.body?.cancel();
  }
}

function modelPath(name: string, version: string | undefined): string {
  const base = `/v2/models/${encodeURIComponent(name)}`;
  return version === undefined || version === ""
    ? base
    : `${base}/versions/${encodeURIComponent(version)}`;
}

/** The server's `{"error": ...}` (MLServer: sometimes `{"detail": ...}`), else the text. */
async function errorMessage(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    if (typeof body?.error === "string") return body.error;
    if (body?.detail !== undefined) {
      return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    }
  } catch {
    // Not JSON: the text itself.
  }
  return text.trim() === "" ? `HTTP ${response.status} ${response.statusText}` : text.trim();
}

/** The one request a REST stream sends. */
async function single(requests: AsyncIterable<InferenceRequest>): Promise<InferenceRequest> {
  let first: InferenceRequest | undefined;
  for await (const request of requests) {
    if (first !== undefined) {
      throw new TypeError(
        "A REST stream sends one request (server-sent events answer it): use gRPC to stream requests",
      );
    }
    first = request;
  }
  if (first === undefined) throw new TypeError("A stream needs a request");
  return first;
}

/** One server-sent event. */
interface ServerSentEvent {
  name: string;
  data: string;
}

/** Parses a `text/event-stream` body into events (blank-line separated `event:`/`data:` lines). */
export async function* serverSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ServerSentEvent> {
  let buffer = "";
  for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
    buffer += chunk.replaceAll("\r\n", "\n");
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue; // a comment (keep-alive)
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
      }
      if (data.length > 0) yield { name, data: data.join("\n") };
    }
  }
}
