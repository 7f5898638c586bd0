import type { BuildOptions, World } from "../world.js";
import { buildWorld } from "../world.js";
import type { ForeignObject, ManifestObject } from "../manifest/object.js";
import type { Diagnostic } from "../model/diagnostic.js";
import { parseManifestFiles } from "../manifest/parse.js";

/** A World that keeps the objects it was built from (lint and isolated read ReferenceGrants from them). */
export type TestWorld = World & {
  readonly objects: readonly ManifestObject[];
  /** Parse, schema and build diagnostics of severity error or warning: what a clean manifest has none of. */
  readonly problems: readonly Diagnostic[];
  /** The info diagnostics (e.g. a Deployment in the same file, which gwsim skips): nothing wrong. */
  readonly notes: readonly Diagnostic[];
};

export interface WorldFromOptions extends BuildOptions {
  /** The file name problems and lint findings give manifest text passed as one string (default "manifests.yaml"). */
  file?: string;
}

/**
 * A world from manifest text (one file's content, or `{ file, text }` per file) or objects, in
 * one call. `problems` lists parse and schema errors and warnings (`notes` the info ones, which
 * a correct file may have); invalid objects are left out, as buildWorld does. Pure: reading the files is the caller's (`readFileSync`).
 */
export function worldFrom(
  input: string | readonly { file: string; text: string }[] | readonly ManifestObject[],
  { file = "manifests.yaml", ...options }: WorldFromOptions = {},
): TestWorld {
  let objects: readonly ManifestObject[];
  let parseProblems: Diagnostic[] = [];
  let skipped: readonly ForeignObject[] = [];
  if (typeof input === "string" || (input.length > 0 && "text" in (input[0] as object))) {
    const files = typeof input === "string" ? [{ file, text: input }] : (input as readonly { file: string; text: string }[]);
    const parsed = parseManifestFiles([...files]);
    objects = parsed.objects;
    parseProblems = parsed.diagnostics;
    skipped = parsed.skipped;
  } else {
    objects = input as readonly ManifestObject[];
  }
  // Objects of kinds gwsim does not read still exist: a parametersRef to one is accepted.
  const world = buildWorld(objects, skipped.length ? { ...options, foreignObjects: [...(options.foreignObjects ?? []), ...skipped] } : options);
  const all = [...parseProblems, ...world.diagnostics];
  // world.objects: as admitted (duplicates and unread kinds left out), what lint and isolated should read.
  return Object.freeze({ ...world, problems: all.filter((d) => d.severity !== "info"), notes: all.filter((d) => d.severity === "info") });
}
