/**
 * `mlserver build FOLDER -t TAG [--no-cache]`: generates the Dockerfile of
 * `mlserver dockerfile` in a temporary folder and builds FOLDER with it,
 * using Docker when its daemon answers, else Podman, else Buildah.
 *
 * @module
 */

import { join } from "node:path";
import { parseCommandArgs, UsageError } from "./args.ts";
import { imageOptions, requireFolder } from "./dockerfile.ts";
import { DEFAULT_IMAGES, DOCKERIGNORE, inspectFolder, renderDockerfile } from "./packaging.ts";

/** Help text of `build`. */
export const BUILD_HELP = `Usage: mlserver build FOLDER -t TAG [options]

Build an image of FOLDER with the Dockerfile \`mlserver dockerfile\` would write
(without writing it into FOLDER). Uses docker when its daemon answers, else
podman, else buildah.

Options:
  -t, --tag TAG            Image name and tag (required)
  --no-cache               Do not use the build cache
  --builder NAME           docker, podman or buildah (default: the first that works)
  --image IMAGE            Server image to build on (default ${DEFAULT_IMAGES.image})
  --builder-image IMAGE    Builder image, for folders with their own packages
  -h, --help               Show this help
`;

/** Container builders, in the order they are tried. */
export const BUILDERS = ["docker", "podman", "buildah"] as const;
type Builder = typeof BUILDERS[number];

/** How a command ran: not at all (not installed), or its exit status and first error line. */
async function probe(
  command: string,
  args: string[],
): Promise<{ found: boolean; success: boolean; error: string }> {
  try {
    const { success, stderr } = await new Deno.Command(command, {
      args,
      stdout: "null",
      stderr: "piped",
    }).output();
    const error = new TextDecoder().decode(stderr).trim().split("\n")[0] ?? "";
    return { found: true, success, error };
  } catch {
    return { found: false, success: false, error: "" };
  }
}

/** The error for a docker client whose daemon does not answer. */
function noDaemon(error: string, alternatives: boolean): Error {
  return new Error(
    `docker is installed but there is no running Docker daemon (docker info: ${
      error || "failed"
    }): start the daemon` + (alternatives ? ", or install Podman or Buildah" : ""),
  );
}

/**
 * The builder to use: the one asked for, else docker if its daemon answers,
 * else podman, else buildah.
 *
 * @throws {Error} when none is installed, or docker is but its daemon does not answer
 */
export async function findBuilder(preferred?: string): Promise<Builder> {
  if (preferred !== undefined) {
    if (!(BUILDERS as readonly string[]).includes(preferred)) {
      throw new UsageError(`--builder must be one of ${BUILDERS.join(", ")}, got '${preferred}'`);
    }
    const version = await probe(preferred, ["--version"]);
    if (!version.success) throw new Error(`The builder '${preferred}' is not installed`);
    if (preferred === "docker") {
      const info = await probe("docker", ["info"]);
      if (!info.success) throw noDaemon(info.error, false);
    }
    return preferred as Builder;
  }
  // The docker client can be present without a daemon: ask the daemon.
  const docker = await probe("docker", ["info"]);
  if (docker.success) return "docker";
  if ((await probe("podman", ["--version"])).success) return "podman";
  if ((await probe("buildah", ["--version"])).success) return "buildah";
  if (docker.found) throw noDaemon(docker.error, true);
  throw new Error(
    "No container builder found: install Docker (with its daemon running), Podman or Buildah " +
      "(looked for docker, podman and buildah on PATH)",
  );
}

/** The builder's command line for one build. */
export function buildArgs(
  builder: Builder,
  options: {
    folder: string;
    dockerfile: string;
    ignoreFile: string;
    tag: string;
    noCache: boolean;
  },
): string[] {
  const args = builder === "buildah" ? ["build"] : ["build", "--rm"];
  if (options.noCache) args.push("--no-cache");
  // Docker reads <Dockerfile>.dockerignore next to the Dockerfile; the others take a flag.
  if (builder !== "docker") args.push("--ignorefile", options.ignoreFile);
  args.push("-f", options.dockerfile, "-t", options.tag, options.folder);
  return args;
}

/** Runs `build`. */
export async function buildCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    tag: { type: "string", short: "t" },
    "no-cache": { type: "boolean" },
    builder: { type: "string" },
    image: { type: "string" },
    "builder-image": { type: "string" },
  });
  if (positionals.length > 1) {
    throw new UsageError(`build takes one FOLDER, got ${positionals.length}`);
  }
  const folder = await requireFolder(positionals[0], "build");
  if (values.tag === undefined) throw new UsageError("build needs an image tag: -t NAME[:TAG]");
  const builder = await findBuilder(values.builder);
  const workdir = await Deno.makeTempDir({ prefix: "mlserver-build-" });
  try {
    const dockerfile = join(workdir, "Dockerfile");
    const ignoreFile = join(workdir, "Dockerfile.dockerignore");
    await Deno.writeTextFile(
      dockerfile,
      renderDockerfile(await inspectFolder(folder), imageOptions(values)),
    );
    await Deno.writeTextFile(ignoreFile, DOCKERIGNORE);
    const command = buildArgs(builder, {
      folder,
      dockerfile,
      ignoreFile,
      tag: values.tag,
      noCache: values["no-cache"] === true,
    });
    console.log(`${builder} ${command.join(" ")}`);
    const { code } = await new Deno.Command(builder, {
      args: command,
      env: builder === "docker" ? { DOCKER_BUILDKIT: "1" } : {},
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) throw new Error(`${builder} build failed with exit code ${code}`);
    console.log(`Built ${values.tag}`);
    return 0;
  } finally {
    await Deno.remove(workdir, { recursive: true });
  }
}
