/**
 * A small router: each route is declared once with URLPattern-like syntax
 * (`/v2/models/:name{/versions/:version}?/infer`) and compiled to one regular
 * expression, which costs far less per request than URLPattern.
 *
 * @module
 */

/** Path parameters of a matched route, URL-decoded. */
export type Params = Readonly<Record<string, string | undefined>>;

/** A route: method, pattern and handler. */
export interface Route<H> {
  method: string;
  pattern: string;
  handler: H;
}

/** The outcome of matching a request. */
export type Match<H> =
  | { kind: "found"; handler: H; params: Params }
  | { kind: "method-not-allowed"; allowed: string[] }
  | { kind: "not-found" };

interface Compiled<H> {
  method: string;
  regex: RegExp;
  names: string[];
  handler: H;
}

/** How many distinct successful matches are remembered. */
const CACHE_SIZE = 1024;

/** Matches paths against a fixed table of routes. */
export class Router<H> {
  readonly #routes: Compiled<H>[];
  /**
   * Recent successful matches by method and path: a server sees the same few
   * model URLs over and over, and a hit allocates nothing.
   */
  readonly #cache = new Map<string, Match<H>>();

  constructor(routes: readonly Route<H>[]) {
    this.#routes = routes.map((route) => ({ ...compile(route.pattern), ...route }));
  }

  /**
   * Finds the route for a method and path. The returned params are shared
   * between requests: read them, never change them.
   *
   * @throws {URIError} when a path parameter is not valid percent-encoding
   */
  match(method: string, path: string): Match<H> {
    const key = method + " " + path;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const found = this.#match(method, path);
    if (found.kind === "found") {
      if (this.#cache.size >= CACHE_SIZE) this.#cache.clear();
      Object.freeze(found.params);
      this.#cache.set(key, found);
    }
    return found;
  }

  #match(method: string, path: string): Match<H> {
    let allowed: string[] | undefined;
    for (const route of this.#routes) {
      const found = route.regex.exec(path);
      if (found === null) continue;
      if (route.method !== method) {
        (allowed ??= []).push(route.method);
        continue;
      }
      const params: Record<string, string | undefined> = {};
      route.names.forEach((name, index) => {
        const value = found[index + 1];
        params[name] = value === undefined ? undefined : decodeURIComponent(value);
      });
      return { kind: "found", handler: route.handler, params };
    }
    return allowed === undefined ? { kind: "not-found" } : { kind: "method-not-allowed", allowed };
  }
}

/** Compiles `:name` segments and `{...}?` optional groups to a RegExp. */
function compile(pattern: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  let source = "";
  for (let i = 0; i < pattern.length;) {
    const rest = pattern.slice(i);
    const param = /^:([A-Za-z_]\w*)/.exec(rest);
    if (param !== null) {
      names.push(param[1] as string);
      source += "([^/]+)";
      i += param[0].length;
    } else if (rest.startsWith("{")) {
      source += "(?:";
      i++;
    } else if (rest.startsWith("}?")) {
      source += ")?";
      i += 2;
    } else {
      source += (pattern[i] as string).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      i++;
    }
  }
  return { regex: new RegExp(`^${source}$`), names };
}
