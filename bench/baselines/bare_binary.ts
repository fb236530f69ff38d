/**
 * The binary baseline of PERFORMANCE.md: a bare `Deno.serve` handler that
 * reads the body and answers with the same bytes.
 * Usage: deno run --allow-net bench/baselines/bare_binary.ts PORT
 */
const port = Number(Deno.args[0] ?? 0);
Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: ({ port }) => console.log(`listening ${port}`),
}, async (request) => {
  return new Response(await request.bytes(), {
    headers: { "content-type": "application/octet-stream" },
  });
});
