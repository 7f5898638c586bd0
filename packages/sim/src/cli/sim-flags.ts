import { parsePrecision, parseSplitMode } from "../replay/replay.js";
import type { Precision, SplitMode } from "../replay/types.js";
import { intFlag, type FlagSpec, type FlagValues } from "./flags.js";
import { UsageError, type Io } from "./io.js";
import { checkOutput, writeOutput } from "./paths.js";

/** Flags shared by replay and whatif: how the simulated data plane splits traffic. */
export const SPLIT_FLAGS: FlagSpec[] = [
  { name: "seed", type: "string", value: "N", description: "seed of the weighted draws (default 1)" },
  { name: "split", type: "string", value: "MODE", description: "random (per-request draw, as Envoy), wrr, hash:<key> (as nginx split_clients), cookie (sticky per user)", default: "random" },
  { name: "precision", type: "string", value: "P", description: "weight precision: exact, ngf (0.01% floor, as NGINX Gateway Fabric), percent (whole percents by largest remainder, as Istio up to 1.14)", default: "exact" },
];

export interface SplitOptions {
  seed: number;
  split: SplitMode;
  precision: Precision;
}

export function splitOptions(values: FlagValues): SplitOptions {
  const split = parseSplitMode(String(values.split ?? "random"));
  if (!split.ok) throw new UsageError(`--split: ${split.message}`);
  const precision = parsePrecision(String(values.precision ?? "exact"));
  if (!precision.ok) throw new UsageError(`--precision: ${precision.message}`);
  return { seed: intFlag(values, "seed", 1), split: split.split, precision: precision.precision };
}

export const HTML_FLAG: FlagSpec = {
  name: "html",
  type: "string",
  value: "FILE",
  description: "also write a self-contained HTML report (charts, no external assets)",
};

/** Checks, before the work, that the --html file can be written. */
export async function checkHtml(values: FlagValues, io: Io): Promise<void> {
  if (typeof values.html === "string") await checkOutput(io, values.html);
}

/** Writes the HTML report when --html asks for one. */
export async function writeHtml(values: FlagValues, io: Io, render: () => string): Promise<void> {
  if (typeof values.html !== "string") return;
  await writeOutput(io, values.html, render());
  io.stderr(`gwsim: wrote ${values.html}\n`);
}
