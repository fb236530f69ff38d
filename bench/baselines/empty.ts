// The start-up baseline: `deno run` of an empty script.
