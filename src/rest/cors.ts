/**
 * CORS per `cors_settings`, with the semantics of Starlette's middleware
 * that MLServer uses: preflight requests are answered here, other responses
 * get the allow-origin headers when the origin is allowed.
 *
 * @module
 */

import { InvalidRequestError } from "../errors.ts";
import type { CorsSettings } from "../settings/server_settings.ts";

/** Applies one CORS policy. */
export class Cors {
  readonly #settings: CorsSettings;
  readonly #originRegex: RegExp | undefined;
  readonly #anyOrigin: boolean;

  constructor(settings: CorsSettings) {
    this.#settings = settings;
    this.#anyOrigin = settings.allow_origins.includes("*");
    this.#originRegex = settings.allow_origin_regex === null
      ? undefined
      : new RegExp(`^(?:${settings.allow_origin_regex})$`);
  }

  /** Whether a request is a CORS preflight. */
  isPreflight(request: Request): boolean {
    return request.method === "OPTIONS" && request.headers.has("origin") &&
      request.headers.has("access-control-request-method");
  }

  /**
   * Answers a preflight request.
   *
   * @throws {InvalidRequestError} when the origin, method or headers are not allowed
   */
  preflight(request: Request): Response {
    const origin = request.headers.get("origin") ?? "";
    const method = request.headers.get("access-control-request-method") ?? "";
    const requested = (request.headers.get("access-control-request-headers") ?? "")
      .split(",").map((h) => h.trim().toLowerCase()).filter((h) => h !== "");
    const s = this.#settings;
    const problems: string[] = [];
    if (!this.#allows(origin)) problems.push("origin");
    if (!s.allow_methods.includes("*") && !s.allow_methods.includes(method)) {
      problems.push("method");
    }
    const allowedHeaders = s.allow_headers.map((h) => h.toLowerCase());
    if (!allowedHeaders.includes("*") && requested.some((h) => !allowedHeaders.includes(h))) {
      problems.push("headers");
    }
    if (problems.length > 0) {
      throw new InvalidRequestError(`Disallowed CORS ${problems.join(", ")}`);
    }
    const headers = this.#originHeaders(origin);
    headers.set(
      "access-control-allow-methods",
      s.allow_methods.includes("*") ? method : s.allow_methods.join(", "),
    );
    if (requested.length > 0) {
      headers.set(
        "access-control-allow-headers",
        allowedHeaders.includes("*") ? requested.join(", ") : s.allow_headers.join(", "),
      );
    }
    headers.set("access-control-max-age", String(s.max_age));
    return new Response(null, { status: 200, headers });
  }

  /** Headers to add to an ordinary response, if the origin is allowed. */
  responseHeaders(request: Request): Headers | undefined {
    const origin = request.headers.get("origin");
    if (origin === null || !this.#allows(origin)) return undefined;
    const headers = this.#originHeaders(origin);
    if (this.#settings.expose_headers.length > 0) {
      headers.set("access-control-expose-headers", this.#settings.expose_headers.join(", "));
    }
    return headers;
  }

  #allows(origin: string): boolean {
    return this.#anyOrigin || this.#settings.allow_origins.includes(origin) ||
      (this.#originRegex?.test(origin) ?? false);
  }

  #originHeaders(origin: string): Headers {
    const headers = new Headers();
    const wildcard = this.#anyOrigin && !this.#settings.allow_credentials;
    headers.set("access-control-allow-origin", wildcard ? "*" : origin);
    if (!wildcard) headers.set("vary", "origin");
    if (this.#settings.allow_credentials) headers.set("access-control-allow-credentials", "true");
    return headers;
  }
}
