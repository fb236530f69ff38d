/**
 * The API documentation pages: Swagger UI from the `swagger-ui-dist` npm
 * package, its files read from the package's own folder (embedded in the
 * compiled executable), never from a CDN, so the page works air-gapped
 * (MLServer's does not: MLServer#1470). Only the files the page needs are
 * served, by fixed name.
 *
 * @module
 */

import { join } from "node:path";
import swaggerFolder from "swagger-ui-dist/absolute-path.js";
import type { ModelMetadata } from "../protocol/types.ts";
import { dataplaneDocument, modelDocument } from "./openapi.ts";

/** The Swagger UI files the page loads, with their content types. */
const ASSETS: Readonly<Record<string, string>> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

/** Escapes text for an HTML attribute or element. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The API docs: pages, assets and OpenAPI documents. */
export class SwaggerDocs {
  readonly #folder: string;
  readonly #serverVersion: string;
  readonly #dataplane = new Map<string, unknown>();
  readonly #cache = new Map<string, Promise<Uint8Array>>();

  constructor(options: { serverVersion: string; folder?: string }) {
    this.#folder = options.folder ?? (swaggerFolder as () => string)();
    this.#serverVersion = options.serverVersion;
  }

  page(options: { title: string; specUrl: string; assetsUrl: string }): string {
    const { title, specUrl, assetsUrl } = options;
    const a = escapeHtml(assetsUrl);
    return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${escapeHtml(title)}</title>
  <link rel="stylesheet" href="${a}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${a}/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="${a}/favicon-16x16.png" sizes="16x16">
  <style>body { margin: 0; } .swagger-ui .topbar { display: none; }</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${a}/swagger-ui-bundle.js"></script>
  <script src="${a}/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: ${JSON.stringify(specUrl).replace(/</g, "\\u003c")},
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
      validatorUrl: null,
    });
  </script>
</body>
</html>
`;
  }

  async asset(name: string): Promise<{ body: Uint8Array; contentType: string } | undefined> {
    const contentType = ASSETS[name];
    if (contentType === undefined) return undefined;
    let body = this.#cache.get(name);
    if (body === undefined) {
      body = Deno.readFile(join(this.#folder, name));
      this.#cache.set(name, body);
      body.catch(() => this.#cache.delete(name));
    }
    return { body: await body, contentType };
  }

  /** The whole API's document: the same for the server's life, so built once per root path. */
  dataplane(rootPath: string): unknown {
    let document = this.#dataplane.get(rootPath);
    if (document === undefined) {
      document = dataplaneDocument(rootPath, this.#serverVersion);
      this.#dataplane.set(rootPath, document);
    }
    return document;
  }

  model(
    metadata: ModelMetadata,
    options: { version?: string | undefined; rootPath: string },
  ): unknown {
    return modelDocument(metadata, { ...options, serverVersion: this.#serverVersion });
  }
}
