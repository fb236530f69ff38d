import assert from "node:assert/strict";
import protobuf from "protobufjs";
import { PROTO_FILES } from "../../scripts/generate_proto_descriptor.ts";
import { PROTO_DESCRIPTOR } from "../../src/grpc/proto_descriptor.ts";
import { repoPath } from "../_helpers.ts";

Deno.test("src/grpc/proto_descriptor.ts matches proto/ (run `deno task proto` when this fails)", () => {
  const root = new protobuf.Root();
  root.loadSync(PROTO_FILES.map((file) => repoPath(file)), { keepCase: true });
  assert.deepEqual(
    PROTO_DESCRIPTOR,
    JSON.parse(JSON.stringify(root.toJSON({ keepComments: false }))),
  );
});
