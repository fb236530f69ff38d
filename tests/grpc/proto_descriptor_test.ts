import assert from "node:assert/strict";
import { descriptorJson } from "../../scripts/generate_proto_descriptor.ts";
import { PROTO_DESCRIPTOR } from "../../src/grpc/proto_descriptor.ts";
import { repoPath } from "../_helpers.ts";

Deno.test("src/grpc/proto_descriptor.ts matches proto/ (run `deno task proto` when this fails)", () => {
  assert.deepEqual(PROTO_DESCRIPTOR, descriptorJson(repoPath()));
});
