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

/** Whether a command runs (and exits 0) with these arguments. */
async function works(command: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, { args, stdout: "null", stderr: "null" })
      .output();
    return success;
  } catch {
    return false;
  }
}

/**
 * The builder to use: the one asked for, else docker if its daemon answers,
 * else podman, else buildah.
 *
 * @throws {Error} when none is installed
 */
export async function findBuilder(preferred?: string): Promise<Builder> {
  if (preferred !== undefined) {
    if (!(BUILDERS as readonly string[]).includes(preferred)) {
      throw new UsageError(`--builder must be one of ${BUILDERS.join(", ")}, got '${preferred}'`);
    }
    if (!(await works(preferred, ["--version"]))) {
      throw new Error(`The builder '${preferred}' is not installed`);
    }
    return preferred as Builder;
  }
  // The docker client can be present without a daemon: ask the daemon.
  if (await works("docker", ["info"])) return "docker";
  if (await works("podman", ["--version"])) return "podman";
  if (await works("buildah", ["--version"])) return "buildah";
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
