import { parsePrecision, parseSplitMode } from "../replay/replay.js";
import type { Precision, SplitMode } from "../replay/types.js";
import { intFlag, type FlagSpec, type FlagValues } from "./flags.js";
import { UsageError, type Io } from "./io.js";
import { DEFAULT_TEXT_WIDTH, MIN_TEXT_WIDTH } from "../report/text.js";
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

/** Widest text report the flag takes; wider only spreads the tables. */
export const MAX_TEXT_WIDTH = 1000;

export const WIDTH_FLAG: FlagSpec = {
  name: "width",
  type: "string",
  value: "N",
  description: `columns of the text report, ${MIN_TEXT_WIDTH} to ${MAX_TEXT_WIDTH} (default: $COLUMNS, else the terminal's width, else ${DEFAULT_TEXT_WIDTH} when piped)`,
};

/**
 * The width of the text report: --width; else $COLUMNS (as `ls` and Python's
 * get_terminal_size read it, so piped output can be widened too); else the terminal's width when
 * stdout is one; else 80, so piped output and scripts see the same layout everywhere. A $COLUMNS
 * or terminal outside the range is brought into it (a usage error only for the flag, which the
 * user typed); a $COLUMNS that is no number (or 0) is ignored.
 */
export function textWidth(values: FlagValues, io: Pick<Io, "env" | "stdoutColumns">): number {
  if (values.width !== undefined) {
    const raw = values.width;
    if (typeof raw !== "string" || !/^\d+$/.test(raw.trim()) || Number(raw) < MIN_TEXT_WIDTH || Number(raw) > MAX_TEXT_WIDTH) {
      throw new UsageError(`--width takes a number of columns from ${MIN_TEXT_WIDTH} to ${MAX_TEXT_WIDTH}, got ${JSON.stringify(raw)}`);
    }
    return Number(raw);
  }
  const env = io.env.COLUMNS?.trim();
  if (env && /^\d+$/.test(env) && Number(env) > 0) return clampWidth(Number(env));
  if (io.stdoutColumns !== undefined && Number.isFinite(io.stdoutColumns) && io.stdoutColumns > 0) return clampWidth(io.stdoutColumns);
  return DEFAULT_TEXT_WIDTH;
}

const clampWidth = (n: number): number => Math.min(MAX_TEXT_WIDTH, Math.max(MIN_TEXT_WIDTH, Math.floor(n)));
