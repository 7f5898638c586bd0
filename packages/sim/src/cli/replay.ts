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
import { conditionsUsing, FAIL_IF_FLAG, parseConditions, reportHeld, unknownRefLines } from "./fail-if-flags.js";
import { evaluateReplayFailIf, evaluateReplayFailIfValue, type ReplayGate } from "../replay/fail-if.js";
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
  usage: "gwsim replay -f MANIFESTS --trace FILE|- [--format jsonl|har|envoy|nginx|csv|haproxy] [--seed N] [--json|--html FILE] [--width N] [--fail-if EXPR ...]",
  description:
    "Per backend: requests, sampled share with its 95% Wilson interval, and the exact expected share from the weights; " +
    "per route rule: hits; statuses the gateway answers itself; the request classes that get 404 or 500; mirrored " +
    "traffic; a chi-square test of each split; users exposed; and, when the trace records what the real gateway did, " +
    "agreement with it. Lines that cannot be read are counted, reported and skipped. " +
    "--fail-if takes expressions such as 'status(404) / requests > 1%', 'expectedShare(store/checkout-v2) > 0.12', " +
    "'hits(store/legacy) > 0', 'agreement < 0.99' (simulated vs observed backend), 'badLines > 0', joined with && and ||; " +
    "exit 1 when one holds, for CI gates (a backend or route the manifests lack is a usage error, exit 2).",
  flags: [
    FILE_FLAG,
    ...TRACE_FLAGS,
    ...SPLIT_FLAGS,
    { name: "json", type: "boolean", description: "print the report as JSON" },
    WIDTH_FLAG,
    HTML_FLAG,
    FAIL_IF_FLAG,
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
    "gwsim replay -f pr/ --trace live.jsonl --fail-if 'agreement < 0.99' --fail-if 'status(404) > 0'",
  ],
};

export async function replayCommand(argv: string[], io: Io): Promise<ExitCode> {
  const { values } = parseFlags(replaySpec, argv);
  const split = splitOptions(values);
  const workers = workersFlag(values);
  const width = textWidth(values, io);
  const conditions = parseConditions(values, "replay");
  await checkTraceInput(values, io);
  await checkHtml(values, io);
  const loaded = await loadWorldAndObjects(values, io);
  if (!loaded) return 2;
  const unknown = unknownRefLines(conditions, [loaded.world], "the manifests", "in the report");
  if (unknown.length) {
    for (const line of unknown) io.stderr(`gwsim: ${line}\n`);
    return 2;
  }
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
  if (conditions.length === 0) return 0;
  // A gate on agreement with nothing to compare would pass whatever the routes do: refuse it.
  if (!report.observed?.compared) {
    const blind = conditionsUsing(conditions, "agreement");
    for (const c of blind) io.stderr(`gwsim: --fail-if ${JSON.stringify(c.text)}: no request of the trace records what the real gateway did (observed), so agreement cannot be computed\n`);
    if (blind.length) return 2;
  }
  const gate: ReplayGate = { report, badLines: read.reader.stats.bad };
  return reportHeld(conditions, (e) => evaluateReplayFailIf(e, gate), (e) => evaluateReplayFailIfValue(e, gate), io) ? 1 : 0;
}
