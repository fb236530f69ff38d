import assert from "node:assert/strict";
import { VERSION } from "../src/version.ts";
import { repoPath } from "./_helpers.ts";

Deno.test("VERSION matches deno.json", async () => {
  const config = JSON.parse(await Deno.readTextFile(repoPath("deno.json")));
  assert.equal(VERSION, config.version);
});
