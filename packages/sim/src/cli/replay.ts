import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { replayParallel, replayTraceFile, type ParallelOptions } from "../replay/parallel.js";
import type { Report } from "../replay/types.js";
import { renderJson } from "../report/json.js";
import { renderText } from "../report/text.js";
import { renderHtml } from "../report/html.js";
import { FILE_FLAG, loadWorldAndObjects, WORLD_FLAGS } from "./common.js";
import { intFlag, parseFlags, type CommandSpec, type FlagValues } from "./flags.js";
import { UsageError, type ExitCode, type Io } from "./io.js";
import { checkHtml, HTML_FLAG, SPLIT_FLAGS, splitOptions, textWidth, WIDTH_FLAG, writeHtml } from "./sim-flags.js";
import { badLineWarning, checkTraceInput, progress, reportBadLines, TRACE_FLAGS, traceSource, unreadableTrace } from "./trace-flags.js";

/** Each worker builds its own world: more threads than this cost memory and start-up, not speed. */
const MAX_WORKERS = 64;
const AUTO_WORKERS = 8;

/**
 * `--workers`: a number of threads, or `auto`. The default stays 1: a machine's core count (what
 * `auto` reads) says nothing of a container's CPU quota, where more threads than CPUs only slow.
 */
export function workersFlag(values: FlagValues, cores = availableParallelism()): number {
  if (values.workers === "auto") return Math.max(1, Math.min(AUTO_WORKERS, cores));
  const n = intFlag(values, "workers", 1);
  if (n < 1 || n > MAX_WORKERS) throw new UsageError(`--workers takes auto or a number from 1 to ${MAX_WORKERS}, got ${n}`);
  return n;
}

export const replaySpec: CommandSpec = {
  name: "replay",
  summary: "replay a recorded or synthetic trace through the routes and report where traffic goes",
  usage: "gwsim replay -f MANIFESTS --trace FILE|- [--format jsonl|har|envoy|nginx|csv|haproxy] [--seed N] [--json|--html FILE] [--width N]",
  description:
    "Per backend: requests, sampled share with its 95% Wilson interval, and the exact expected share from the weights; " +
    "per route rule: hits; statuses the gateway answers itself; the request classes that get 404 or 500; mirrored " +
    "traffic; a chi-square test of each split; users exposed; and, when the trace records what the real gateway did, " +
    "agreement with it. Lines that cannot be read are counted, reported and skipped.",
  flags: [
    FILE_FLAG,
    ...TRACE_FLAGS,
    ...SPLIT_FLAGS,
    { name: "json", type: "boolean", description: "print the report as JSON" },
    WIDTH_FLAG,
    HTML_FLAG,
    {
      name: "workers",
      type: "string",
      value: "N|auto",
      description: `worker threads, 1 to ${MAX_WORKERS}, or auto: the cores, at most ${AUTO_WORKERS} (same result for any N with the same seed)`,
      default: "1",
    },
    ...WORLD_FLAGS,
  ],
  examples: [
    "gwsim synth --profile profile.yaml --count 100000 --seed 7 > trace.jsonl && gwsim replay -f manifests/ --trace trace.jsonl",
    "gwsim replay -f manifests/ --trace access.log --format nginx --host shop.example.com --json",
  ],
};

export async function replayCommand(argv: string[], io: Io): Promise<ExitCode> {
  const { values } = parseFlags(replaySpec, argv);
  const split = splitOptions(values);
  const workers = workersFlag(values);
  const width = textWidth(values, io);
  await checkTraceInput(values, io);
  await checkHtml(values, io);
  const loaded = await loadWorldAndObjects(values, io);
  if (!loaded) return 2;
  const source = traceSource(values, io, loaded.world);
  const onProgress = progress(io);
  const options: ParallelOptions = {
    ...split,
    workers,
    buildOptions: { ...loaded.world.options },
    ...(onProgress ? { onProgress, progressEvery: 50_000 } : {}),
  };
  let report: Report;
  let read: Parameters<typeof reportBadLines>[0];
  if (source.path !== undefined && statSync(source.path, { throwIfNoEntry: false })?.isFile()) {
    // A regular file: the workers read it themselves (by chunks) when its format allows.
    const replayed = await replayTraceFile(loaded.objects, source.path, { ...options, traceOptions: source.options });
    report = replayed.report;
    read = { reader: { stats: replayed.stats }, file: source.file };
  } else {
    const trace = await source.open();
    report = await replayParallel(loaded.objects, trace.reader, options);
    read = trace;
  }
  if (onProgress) io.stderr("\r\x1b[K");
  reportBadLines(read, io);
  if (unreadableTrace(read.reader.stats, read.file, io)) return 2;
  const badLines = badLineWarning(read.reader.stats, read.file);
  if (badLines && !report.warnings.includes(badLines)) report.warnings.push(badLines);
  io.stdout(values.json ? renderJson(report) : renderText(report, { width }));
  await writeHtml(values, io, () => renderHtml(report, { title: "gwsim replay", subtitle: source.file }));
  return 0;
}
