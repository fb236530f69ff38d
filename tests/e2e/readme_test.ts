/**
 * The README's walkthrough, run as its reader would: the blocks marked
 * `<!-- readme-test: NAME -->` are taken from README.md as they are and run
 * by `sh` in a home folder outside the repository, in two "terminals": the
 * first installs (from the clone), creates a project with `mlserver init`,
 * tests it and serves it; the second sends requests with `mlserver infer`
 * and with the SDK's client. Only the environment differs from a reader's:
 * `npx --yes deno@2.9.3` is this Deno (no download), the Deno cache is this
 * machine's, and the ports come from MLSERVER_* variables (and the client's
 * url is rewritten to match) so that runs in parallel do not collide on 8080.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { freePort, repoPath, withTmpDir } from "../_helpers.ts";

/** The marked code blocks of the README, by name. */
async function readmeBlocks(): Promise<Map<string, string>> {
  const text = await Deno.readTextFile(repoPath("README.md"));
  const blocks = new Map<string, string>();
  for (const match of text.matchAll(/<!-- readme-test: (\S+) -->\s*```[^\n]*\n([\s\S]*?)```/g)) {
    blocks.set(match[1]!, match[2]!);
  }
  return blocks;
}

Deno.test("the README's walkthrough works word for word from a folder outside the clone", async () => {
  const blocks = await readmeBlocks();
  for (const name of ["install", "init", "start", "infer", "client.ts", "client"]) {
    assert.ok(blocks.has(name), `README block '${name}'`);
  }
  await using home = await withTmpDir();
  assert.ok(!home.path.startsWith(repoPath()), "the home folder is outside the clone");
  const fakeBin = join(home.path, "npx-bin");
  await Deno.mkdir(fakeBin);
  await Deno.writeTextFile(
    join(fakeBin, "npx"),
    `#!/bin/sh\n[ "$1 $2" = "--yes deno@2.9.3" ] || exit 97\nshift 2\nexec '${Deno.execPath()}' "$@"\n`,
    { mode: 0o755 },
  );
  const [http, grpc, metrics] = [freePort(), freePort(), freePort()];
  const denoDir = Deno.env.get("DENO_DIR") ?? join(Deno.env.get("HOME")!, ".cache", "deno");
  const env = {
    HOME: home.path,
    PATH: `${fakeBin}:/usr/local/bin:/usr/bin:/bin`,
    DENO_DIR: denoDir,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    MLSERVER_HTTP_PORT: String(http),
    MLSERVER_GRPC_PORT: String(grpc),
    MLSERVER_METRICS_PORT: String(metrics),
    MLSERVER_INFER_URL: `localhost:${http}`,
  };
  // Terminal 1, in the clone: install (the first screen's first line), init and test, then serve.
  const install = blocks.get("install")!.split("\n")[0]!;
  const first = new Deno.Command("sh", {
    args: ["-c", `set -e\n${install}\n${blocks.get("init")}\nexec ${blocks.get("start")!.trim()}`],
    cwd: repoPath(),
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = Promise.all([
    new Response(first.stdout).text(),
    new Response(first.stderr).text(),
  ]);
  let exited = false;
  first.status.then(() => exited = true);
  try {
    const deadline = Date.now() + 120_000;
    while (true) {
      if (exited) assert.fail(`terminal 1 stopped:\n${(await output).join("\n")}`);
      const ready = await fetch(`http://127.0.0.1:${http}/v2/health/ready`).then(
        async (r) => (await r.body?.cancel(), r.status === 200),
        () => false,
      );
      if (ready) break;
      assert.ok(Date.now() < deadline, "the server did not become ready");
      await new Promise((r) => setTimeout(r, 100));
    }
    // Terminal 2, a new shell: it has the README's PATH line in ~/.profile, as the README says.
    const pathLine = /export PATH="[^"]*"/.exec(install)![0];
    await Deno.writeTextFile(join(home.path, ".profile"), `${pathLine}\n`);
    await Deno.writeTextFile(
      join(home.path, "my-models", "client.ts"),
      blocks.get("client.ts")!.replace("http://localhost:8080", `http://localhost:${http}`),
    );
    const second = await new Deno.Command("sh", {
      args: ["-c", `set -e\n. "$HOME/.profile"\n${blocks.get("infer")}\n${blocks.get("client")}`],
      cwd: home.path,
      env,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(second.stdout);
    const err = new TextDecoder().decode(second.stderr);
    assert.equal(second.code, 0, `${out}\n${err}`);
    const answer = JSON.parse(out.split("\n")[0]!);
    assert.equal(answer.model_name, "my-model");
    assert.deepEqual(answer.outputs[0].data, [4.75]);
    assert.match(err, /1 requests in .*: 1 answered, 0 failed, 0 retries/);
    assert.match(out, /Float32Array\(1\) \[ 4\.75 \]/);
  } finally {
    if (!exited) first.kill("SIGTERM");
    await first.status;
  }
  const [stdout, stderr] = await output;
  assert.match(stdout, /Installed .*\/\.deno\/bin\/mlserver/);
  assert.match(stdout, /ok \| 2 passed \| 0 failed/); // the project's own test
  assert.doesNotMatch(stdout + stderr, /Failed to resolve|Warning/);
  const installed = await Deno.readTextFile(join(home.path, ".deno", "bin", "mlserver"));
  assert.match(installed, new RegExp(`^deno=${join(home.path, ".deno", "bin", "deno")}$`, "m"));
});
