/**
 * The REST baseline of PERFORMANCE.md: a bare `Deno.serve` handler that
 * parses the JSON body and serialises it back, nothing else.
 * Usage: deno run --allow-net bench/baselines/bare_rest.ts PORT
 */
const port = Number(Deno.args[0] ?? 0);
Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: ({ port }) => console.log(`listening ${port}`),
}, async (request) => {
  const body = await request.json();
  return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
});
