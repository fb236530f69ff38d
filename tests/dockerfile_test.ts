/**
 * The repository's Dockerfile, checked for structure: stages, base images,
 * user, group-writable folders, environment, ports and command.
 */
import assert from "node:assert/strict";
import { repoPath } from "./_helpers.ts";

Deno.test("Dockerfile: a compile stage, then a slim glibc image running as user 1000", async () => {
  const text = await Deno.readTextFile(repoPath("Dockerfile"));
  const froms = [...text.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)].map((m) => [m[1], m[2]]);
  assert.deepEqual(froms, [
    ["${DENO_IMAGE}", "compile"],
    ["${DENO_IMAGE}", "source"],
    ["${MLSERVER_BUILD}", "artifact"],
    ["${BASE_IMAGE}", undefined],
  ]);
  assert.match(text, /^ARG DENO_VERSION=2\.9\.3$/m, "Deno pinned to 2.9.3");
  assert.match(text, /^ARG DENO_IMAGE=denoland\/deno:debian-\$\{DENO_VERSION\}$/m);
  assert.match(text, /^ARG BASE_IMAGE=debian:bookworm-slim$/m, "a slim glibc base");
  assert.match(text, /^ARG MLSERVER_BUILD=compile$/m, "the executable by default");
  assert.match(text, /^RUN deno task compile/m);
  const final = text.slice(text.lastIndexOf("FROM ${BASE_IMAGE}"));
  assert.match(final, /useradd --uid 1000 --gid 0 --home-dir \/opt\/mlserver/);
  assert.match(final, /chgrp -R 0 \/opt\/mlserver \/opt\/runtimes \/mnt\/models/);
  assert.match(final, /chmod -R g=u \/opt\/mlserver \/opt\/runtimes \/mnt\/models/);
  assert.match(final, /^USER 1000$/m);
  assert.match(final, /^WORKDIR \/opt\/mlserver$/m);
  for (
    const env of [
      "MLSERVER_MODELS_DIR=/mnt/models",
      "MLSERVER_MODULE_PATH=/opt/runtimes",
      "MLSERVER_HTTP_PORT=8080",
      "MLSERVER_GRPC_PORT=8081",
      "MLSERVER_METRICS_PORT=8082",
    ]
  ) {
    assert.ok(final.includes(env), env);
  }
  assert.match(final, /^EXPOSE 8080 8081 8082$/m);
  assert.match(
    final,
    /^CMD \["\/bin\/sh", "-c", "exec mlserver start \\"\$MLSERVER_MODELS_DIR\\""\]$/m,
  );
  const ignore = await Deno.readTextFile(repoPath(".dockerignore"));
  for (const needed of ["deno.json", "deno.lock", "main.ts", "src/", "scripts/"]) {
    assert.ok(ignore.includes(`!${needed}`), needed);
  }
});

Deno.test("Dockerfile: both build stages copy every local file the server imports", async () => {
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: repoPath(),
    stdout: "piped",
  }).output();
  assert.ok(info.success);
  const root = new URL(".", `file://${repoPath("main.ts")}`).href;
  const topLevel = new Set<string>();
  for (const { specifier } of JSON.parse(new TextDecoder().decode(info.stdout)).modules) {
    if (!specifier.startsWith(root)) continue;
    const [first, ...rest] = specifier.slice(root.length).split("/");
    topLevel.add(rest.length === 0 ? first : `${first}/`);
  }
  assert.ok(topLevel.has("runtimes/"), "the built-in runtimes are part of the graph");
  const text = await Deno.readTextFile(repoPath("Dockerfile"));
  const ignore = await Deno.readTextFile(repoPath(".dockerignore"));
  for (const stage of ["compile", "source"]) {
    const body = text.split(new RegExp(`^FROM .* AS ${stage}$`, "m"))[1]!.split(/^FROM /m)[0]!;
    for (const entry of topLevel) {
      assert.match(
        body,
        new RegExp(`^COPY .*\\b${entry.replace(".", "\\.")}`, "m"),
        `${stage} copies ${entry}`,
      );
      assert.ok(ignore.includes(`!${entry}`), `.dockerignore lets ${entry} through`);
    }
  }
});

Deno.test("Dockerfile: the compile stage runs the exact compile task", async () => {
  const config = JSON.parse(await Deno.readTextFile(repoPath("deno.json")));
  assert.match(config.tasks.compile, /--output dist\/mlserver main\.ts$/);
  const text = await Deno.readTextFile(repoPath("Dockerfile"));
  assert.match(text, /cp dist\/mlserver \/out\/usr\/local\/bin\/mlserver/);
});
