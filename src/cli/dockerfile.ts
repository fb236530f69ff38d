/**
 * `mlserver dockerfile FOLDER [--include-dockerignore]`: writes FOLDER/Dockerfile
 * (and FOLDER/.dockerignore) packaging the folder with the server image, as
 * `mlserver dockerfile` does for MLServer.
 *
 * @module
 */

import { join } from "node:path";
import { parseCommandArgs, UsageError } from "./args.ts";
import {
  DEFAULT_IMAGES,
  DOCKERIGNORE,
  type ImageNames,
  inspectFolder,
  renderDockerfile,
} from "./packaging.ts";

/** Help text of `dockerfile`. */
export const DOCKERFILE_HELP = `Usage: mlserver dockerfile FOLDER [options]

Write FOLDER/Dockerfile, which layers FOLDER (custom runtime modules,
settings.json, model-settings.json files, model files) on the server image.
When FOLDER's deno.json imports packages the server does not carry, the
Dockerfile first rebuilds the executable with the folder's code and them.

Options:
  -i, --include-dockerignore   Also write FOLDER/.dockerignore
  --image IMAGE                Server image to build on (default ${DEFAULT_IMAGES.image})
  --builder-image IMAGE        Builder image, for folders with their own packages
                               (default ${DEFAULT_IMAGES.builderImage})
  -h, --help                   Show this help
`;

/** Reads the options shared by `dockerfile` and `build`. */
export function imageOptions(
  values: { image?: string | undefined; "builder-image"?: string | undefined },
): ImageNames {
  return {
    image: values.image ?? DEFAULT_IMAGES.image,
    builderImage: values["builder-image"] ?? DEFAULT_IMAGES.builderImage,
  };
}

/** Checks FOLDER is a folder. */
export async function requireFolder(folder: string | undefined, command: string): Promise<string> {
  if (folder === undefined) throw new UsageError(`${command} needs a FOLDER`);
  try {
    if ((await Deno.stat(folder)).isDirectory) return folder;
  } catch {
    // Reported below.
  }
  throw new UsageError(`'${folder}' is not a folder`);
}

/** Runs `dockerfile`. */
export async function dockerfileCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    "include-dockerignore": { type: "boolean", short: "i" },
    image: { type: "string" },
    "builder-image": { type: "string" },
  });
  if (positionals.length > 1) {
    throw new UsageError(`dockerfile takes one FOLDER, got ${positionals.length}`);
  }
  const folder = await requireFolder(positionals[0], "dockerfile");
  const shape = await inspectFolder(folder);
  const dockerfile = join(folder, "Dockerfile");
  await Deno.writeTextFile(dockerfile, renderDockerfile(shape, imageOptions(values)));
  const written = [dockerfile];
  if (values["include-dockerignore"] === true) {
    const ignore = join(folder, ".dockerignore");
    await Deno.writeTextFile(ignore, DOCKERIGNORE);
    written.push(ignore);
  }
  console.log(`Wrote ${written.join(" and ")}`);
  return 0;
}
