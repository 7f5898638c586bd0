import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import type { World } from "@gwsim/core";
import { readTrace, type ReadTraceOptions, type TraceReader, type TraceFormat, type TraceStats } from "../trace/index.js";
import { intFlag, type FlagSpec, type FlagValues } from "./flags.js";
import { UsageError, type Io } from "./io.js";
import { entryDefaults } from "./common.js";
import { checkInput, openInput } from "./paths.js";
import { badLineWarnings } from "../replay/parallel.js";

const FORMATS: (TraceFormat | "auto")[] = ["auto", "jsonl", "envoy", "nginx", "har", "csv", "haproxy"];

// CONTRACT's request schemes: access logs are http/https, a JSON Lines trace may hold TLS, TCP or UDP.
const SCHEMES = ["http", "https", "tls", "tcp", "udp"];

/** Flags shared by the commands that read a trace. */
export const TRACE_FLAGS: FlagSpec[] = [
  { name: "trace", short: "t", type: "string", value: "FILE|-", description: "the trace to replay (- for stdin)", stdin: true },
  { name: "format", type: "string", value: "FORMAT", description: `trace format: ${FORMATS.join(", ")}`, default: "auto" },
  { name: "log-format", type: "string", value: "FORMAT", description: "nginx log_format string (or combined, main, common) for custom access-log layouts; a whole 'log_format NAME escape=none ...' line is taken too" },
  { name: "csv-columns", type: "string", value: "FIELD=COL,...", description: "csv: which column holds each request field (e.g. host=Host,path=uri)" },
  { name: "host", type: "string", value: "HOST", description: "Host for trace lines that have none (nginx combined, Apache)" },
  { name: "gateway", type: "string", value: "NS/NAME", description: "entry point for requests that name none (default: the only Gateway)" },
  { name: "port", type: "string", value: "PORT", description: "listener port for requests that name none" },
  { name: "scheme", type: "string", value: "SCHEME", description: `scheme for requests that name none: ${SCHEMES.join(", ")}` },
];

export interface OpenedTrace {
  reader: TraceReader;
  file: string;
}

/** How to read the trace the flags name; `open` may be called more than once for a file (not for stdin). */
export interface TraceSource {
  file: string;
  /** The file's path (resolved), or undefined for stdin. */
  path: string | undefined;
  /** How the trace is read (format, defaults): for readers other than readTrace (replayTraceFile). */
  options: ReadTraceOptions;
  rereadable: boolean;
  /** Checks the file opens (an unreadable file is a PathError, exit 2), then reads it. */
  open(): Promise<OpenedTrace>;
  /** A fresh reader each call, for consumers that read a file twice. */
  reader(): TraceReader;
}

/** Before the work: --trace is given and, unless stdin, can be read. */
export async function checkTraceInput(values: FlagValues, io: Io): Promise<void> {
  const trace = values.trace;
  if (typeof trace !== "string") throw new UsageError("--trace FILE|- is required");
  if (trace !== "-") await checkInput(io, trace);
}

/**
 * How to read the trace. `also`: other worlds whose Gateways --gateway may name (whatif's proposed
 * manifests); the default entry point (the only Gateway) is always the first world's.
 */
export function traceSource(values: FlagValues, io: Io, world: World, also: readonly World[] = []): TraceSource {
  const trace = values.trace;
  if (typeof trace !== "string") throw new UsageError("--trace FILE|- is required");
  const format = String(values.format ?? "auto") as TraceFormat | "auto";
  if (!FORMATS.includes(format)) throw new UsageError(`--format takes one of ${FORMATS.join(", ")}, got ${JSON.stringify(format)}`);
  const file = trace === "-" ? "<stdin>" : trace;
  const options: ReadTraceOptions = { format, file };
  if (typeof values["log-format"] === "string") options.logFormat = values["log-format"];
  if (typeof values["csv-columns"] === "string") options.csvColumns = parseColumns(values["csv-columns"]);
  if (typeof values.host === "string") options.host = values.host;
  if (typeof values.scheme === "string") {
    if (!SCHEMES.includes(values.scheme)) throw new UsageError(`--scheme takes one of ${SCHEMES.join(", ")}, got ${JSON.stringify(values.scheme)}`);
    options.scheme = values.scheme;
  }
  if (values.port !== undefined) {
    const port = intFlag(values, "port", 0);
    if (port < 1 || port > 65535) throw new UsageError(`--port takes a port from 1 to 65535, got ${port}`);
    options.port = port;
  }
  const gateway = entryDefaults(world, typeof values.gateway === "string" ? values.gateway : undefined, also).gateway;
  if (gateway) options.gateway = gateway;
  return {
    file,
    path: trace === "-" ? undefined : resolve(io.cwd, trace),
    options,
    rereadable: trace !== "-",
    open: async () => ({ reader: readTrace(trace === "-" ? io.stdin : await openInput(io, trace), options), file }),
    reader: () => readTrace(trace === "-" ? io.stdin : createReadStream(resolve(io.cwd, trace)), options),
  };
}

export async function openTrace(values: FlagValues, io: Io, world: World, also: readonly World[] = []): Promise<OpenedTrace> {
  return traceSource(values, io, world, also).open();
}

/** Bad trace lines: the first few verbatim with their line numbers, then the count. */
export function reportBadLines(opened: { reader: { stats: TraceStats }; file: string }, io: Io): void {
  const { stats } = opened.reader;
  if (stats.bad === 0) return;
  for (const s of stats.badSamples) io.stderr(`gwsim: ${opened.file}:${s.line}:1: skipped: ${s.reason}: ${truncate(s.text)}\n`);
  io.stderr(`gwsim: ${opened.file}: ${stats.bad} of ${stats.lines} line(s) could not be read and were skipped (format ${stats.format})\n`);
}

/** The bad-line count as one report warning (for --json and --html readers), as the library words it; or null. */
export function badLineWarning(stats: TraceStats, file: string): string | null {
  return badLineWarnings({ ...stats, file })[0] ?? null;
}

/**
 * A trace with lines and not one request read is unreadable input (exit 2), not an empty report:
 * usually the wrong --format, or a file that is no trace. The bad lines are reported already.
 */
export function unreadableTrace(stats: TraceStats, file: string, io: Io): boolean {
  if (stats.records > 0 || stats.bad === 0) return false;
  io.stderr(`gwsim: ${file}: no line could be read as a request (format ${stats.format ?? "unknown"}); nothing was replayed\n`);
  return true;
}

/** A progress line on stderr, only when stderr is a terminal. */
export function progress(io: Io): ((n: number) => void) | undefined {
  if (!io.stderrIsTTY) return undefined;
  return (n) => io.stderr(`\r  ${n.toLocaleString("en-US")} requests…`);
}

function parseColumns(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    const [field, column] = part.split("=");
    if (!field || !column) throw new UsageError(`--csv-columns takes FIELD=COLUMN pairs, got ${JSON.stringify(part)}`);
    out[field.trim()] = column.trim();
  }
  return out;
}

const truncate = (s: string) => (s.length > 120 ? `${s.slice(0, 117)}...` : s);
