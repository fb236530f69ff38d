/**
 * The metrics' cost per REST request measured in one process, without
 * sockets or a load generator: the REST handler (`createRestHandler`) over
 * the real data plane and the echo runtime, with metrics on and off,
 * called alternately in rounds. A shared, busy machine disturbs this less
 * than a wrk run, and what it measures is only what metrics add.
 *
 *   deno run -A bench/metrics_handler.ts [rounds] [requests per round]
 *
 * @module
 */

import { silentLogger } from "../src/logging.ts";
import { createRestHandler } from "../src/rest/app.ts";
import { ModelServer } from "../src/server.ts";
import { resolveModelSettings } from "../src/settings/model_settings.ts";
import { ServerSettingsSchema } from "../src/settings/server_settings.ts";
import { median } from "./lib/proc.ts";
import { SMALL_BODY } from "./rest.ts";

const ROOT = new URL("../", import.meta.url).pathname;

async function handlerWith(metricsEndpoint: string | null) {
  const settings = Object.freeze(ServerSettingsSchema.parse({ metrics_endpoint: metricsEndpoint }));
  const server = new ModelServer({ settings, logger: silentLogger });
  await server.registry.sync("echo", [
    resolveModelSettings({
      name: "echo",
      implementation: `${ROOT}bench/models/echo/echo.ts:EchoModel`,
    }),
  ]);
  const handler = createRestHandler({
    dataplane: server.dataplane,
    repository: server.repositoryHandlers,
    settings,
    logger: silentLogger,
    metrics: server.metrics,
  });
  return { server, handler };
}

async function round(
  handler: (r: Request) => Promise<Response>,
  requests: number,
): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < requests; i++) {
    const response = await handler(
      new Request("http://localhost/v2/models/echo/infer", { method: "POST", body: SMALL_BODY }),
    );
    await response.arrayBuffer();
  }
  return ((performance.now() - start) * 1000) / requests;
}

/** Median µs per request with metrics off and on, and the median of the rounds' differences. */
export async function handlerOverhead(
  rounds: number,
  requests: number,
): Promise<{ offUs: number; onUs: number; extraUs: number; ratio: number }> {
  const off = await handlerWith(null);
  const on = await handlerWith("/metrics");
  try {
    await round(off.handler, requests); // warm up both
    await round(on.handler, requests);
    const offs: number[] = [];
    const ons: number[] = [];
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) {
        offs.push(await round(off.handler, requests));
        ons.push(await round(on.handler, requests));
      } else {
        ons.push(await round(on.handler, requests));
        offs.push(await round(off.handler, requests));
      }
    }
    return {
      offUs: median(offs),
      onUs: median(ons),
      extraUs: median(ons.map((o, i) => o - offs[i]!)),
      ratio: median(ons.map((o, i) => o / offs[i]!)),
    };
  } finally {
    await off.server.stop();
    await on.server.stop();
  }
}

if (import.meta.main) {
  const [rounds = "10", requests = "20000"] = Deno.args;
  const result = await handlerOverhead(Number(rounds), Number(requests));
  console.log(JSON.stringify(result));
}
