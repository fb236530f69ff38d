/**
 * Where a client connects: a url in one of the forms the client takes
 * (`http://`, `https://`, `grpc://`, `grpcs://`, or MLServer's bare
 * `host:port`) turned into a transport, an address and whether to use TLS.
 *
 * @module
 */

/** A parsed client url. */
export interface Target {
  transport: "rest" | "grpc";
  /** REST: `http(s)://host:port`; gRPC: `host:port`. */
  base: string;
  ssl: boolean;
}

const SCHEMES: Readonly<Record<string, { transport: "rest" | "grpc"; ssl: boolean }>> = {
  "http:": { transport: "rest", ssl: false },
  "https:": { transport: "rest", ssl: true },
  "grpc:": { transport: "grpc", ssl: false },
  "grpcs:": { transport: "grpc", ssl: true },
};

/**
 * Parses a client url.
 *
 * @param url with a scheme, or `host:port` (MLServer's `--url` form)
 * @param options for `host:port`: the transport (default REST) and TLS
 * @throws {TypeError} for a url that is none of these, or a scheme that contradicts `transport`
 */
export function parseTarget(
  url: string,
  options: { transport?: "rest" | "grpc" | undefined; ssl?: boolean | undefined } = {},
): Target {
  const { transport } = options;
  const ssl = options.ssl === true;
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (!/^(\[[0-9a-f:.]+\]|[^\s/:[\]]+)(:\d+)?$/i.test(url)) {
      throw new TypeError(`Cannot use '${url}' as a server address: expected host:port or a url`);
    }
    const kind = transport ?? "rest";
    return {
      transport: kind,
      ssl,
      base: kind === "rest" ? `${ssl ? "https" : "http"}://${url}` : url,
    };
  }
  const known = SCHEMES[scheme];
  if (known === undefined) {
    throw new TypeError(
      `Cannot use '${url}': the scheme must be http, https, grpc or grpcs`,
    );
  }
  if (transport !== undefined && transport !== known.transport) {
    throw new TypeError(`Cannot use '${url}' with the ${transport} transport`);
  }
  const parsed = new URL(url.replace(/^grpcs?:/i, "http:"));
  if (parsed.pathname !== "/" && parsed.pathname !== "" && known.transport === "grpc") {
    throw new TypeError(`Cannot use '${url}': a gRPC address has no path`);
  }
  const base = known.transport === "rest"
    ? `${scheme}//${parsed.host}${parsed.pathname.replace(/\/+$/, "")}`
    : parsed.host;
  return { transport: known.transport, ssl: known.ssl, base };
}
