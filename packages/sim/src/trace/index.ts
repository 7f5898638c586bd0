// Streaming trace sources: a trace is read chunk by chunk and line by line, never whole.
import { decompressed } from "./compressed.js";
import { StringDecoder } from "node:string_decoder";
import { TextDecoder } from "node:util";
import { applyDefaults, withoutKubectlPrefix } from "./common.js";
import { csvParser } from "./csv.js";
import { COLLECTOR_SNIFF_LINES, dockerJoiner, innerLine, notBlank, opensCollectorTrace, type CarriedSplit } from "./docker.js";
import { detectFormat, recognised, SNIFF_CHARS, SNIFF_LINES, SNIFF_MORE_LINES } from "./detect.js";
import { envoyParser } from "./envoy.js";
import { harScanner, recordFromHarEntry } from "./har.js";
import { haproxyParser } from "./haproxy.js";
import { jsonlParser } from "./jsonl.js";
import { nginxParser } from "./nginx.js";
import {
  MAX_BAD_SAMPLES, MAX_SAMPLE_CHARS,
  type BadSample, type LineParser, type LineResult, type ReadTraceOptions, type TraceFormat, type TraceReader, type TraceRecord, type TraceStats,
} from "./types.js";

export type {
  BadSample, LineParser, LineResult, ReadTraceOptions, TraceFormat, TraceObserved, TraceReader, TraceRecord, TraceStats,
} from "./types.js";
export { detectFormat } from "./detect.js";
export { compileLogFormat, logFormatEscape, logFormatText, NAMED_LOG_FORMATS } from "./nginx.js";
export type { LogEscape } from "./nginx.js";
export type { CompiledLogFormat } from "./nginx.js";
export { clusterBackend } from "./envoy.js";

export type TraceInput = AsyncIterable<string | Uint8Array> | NodeJS.ReadableStream;

/** A line longer than this (no newline for 16 MiB) is reported bad and skipped rather than buffered. */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

/** The reason given for a line longer than MAX_LINE_CHARS. */
export const OVERLONG_REASON = `line longer than ${MAX_LINE_CHARS} characters`;

/**
 * The UTF-16 a byte stream is in, by its start: a byte order mark and an ASCII character
 * (Windows PowerShell 5 writes `kubectl logs > file` as UTF-16LE with a BOM). Traces start with
 * ASCII ("{", "[", a digit, a name), so BOM + ASCII tells UTF-16 from UTF-8 bytes FF FE.
 */
export function utf16Of(head: Uint8Array): "utf-16le" | "utf-16be" | undefined {
  if (head.length < 4) return undefined;
  if (head[0] === 0xff && head[1] === 0xfe && head[2]! > 0 && head[2]! < 0x80 && head[3] === 0) return "utf-16le";
  if (head[0] === 0xfe && head[1] === 0xff && head[2] === 0 && head[3]! > 0 && head[3]! < 0x80) return "utf-16be";
  return undefined;
}

/** Byte chunks with the first few bytes held back until there are 4 (to tell UTF-16), then passed on as they come. */
async function* withHead(input: AsyncIterable<string | Uint8Array>, onHead: (head: Uint8Array) => void): AsyncGenerator<string | Uint8Array> {
  let held: Uint8Array | undefined;
  let decided = false;
  for await (const chunk of input) {
    if (decided || typeof chunk === "string") {
      decided = true;
      if (held) yield held;
      held = undefined;
      yield chunk;
      continue;
    }
    held = held ? Buffer.concat([held, chunk]) : chunk;
    if (held.length >= 4) {
      decided = true;
      onHead(held);
      yield held;
      held = undefined;
    }
  }
  if (held) {
    onHead(held);
    yield held;
  }
}

/**
 * Text chunks of the input, UTF-8 decoded across chunk boundaries, without a leading BOM.
 * Bytes are decoded as a streaming `TextDecoder("utf-8")` would (invalid bytes → U+FFFD, and
 * the decoder drops a U+FEFF that is the first character it decodes), by node's StringDecoder,
 * which gives the same text several times faster (index.test.ts compares them on random bytes).
 * A UTF-16 input (utf16Of) is decoded as UTF-16. A gzip input is gunzipped first (compressed.ts);
 * its corrupt or cut-off end, or a compression gwsim does not read, goes to `onProblem`.
 */
async function* decodeText(input: TraceInput, onProblem: (reason: string) => void = () => {}): AsyncGenerator<string> {
  let utf16: TextDecoder | undefined;
  const bytes = withHead(decompressed(input as AsyncIterable<string | Uint8Array>, onProblem), (head) => {
    const encoding = utf16Of(head);
    if (encoding) utf16 = new TextDecoder(encoding);
  });
  const decoder = new StringDecoder("utf8");
  let decoderFirst = true; // the decoder has produced no character yet
  const decode = (s: string): string => {
    if (decoderFirst && s.length) {
      decoderFirst = false;
      if (s.charCodeAt(0) === 0xfeff) return s.slice(1);
    }
    return s;
  };
  let first = true;
  for await (const chunk of bytes) {
    let s = typeof chunk === "string" ? chunk : utf16 ? utf16.decode(chunk, { stream: true }) : decode(decoder.write(chunk));
    if (first && s.length) {
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      first = false;
    }
    if (s) yield s;
  }
  const tail = utf16 ? utf16.decode() : decode(decoder.end());
  if (tail) yield tail;
}

/** ReadTraceOptions.onBadLine of the reader that owns the stats (bad lines are rare: a lookup each is nothing). */
const badLineHooks = new WeakMap<TraceStats, (bad: BadSample) => void>();

/** Counts a line that cannot be read, keeps the first few as samples, and tells the reader's onBadLine. */
export function recordBad(stats: TraceStats, line: number, text: string, reason: string): void {
  stats.bad++;
  badLineHooks.get(stats)?.({ line, text, reason });
  if (stats.badSamples.length < MAX_BAD_SAMPLES)
    stats.badSamples.push({ line, text: text.length > MAX_SAMPLE_CHARS ? `${text.slice(0, MAX_SAMPLE_CHARS)}…` : text, reason });
}

const PARSERS: Record<TraceFormat | "unknown", ((o: ReadTraceOptions) => LineParser) | undefined> = {
  jsonl: () => jsonlParser(),
  envoy: () => envoyParser(),
  nginx: (o) => nginxParser(o.logFormat),
  csv: (o) => csvParser(o.csvColumns),
  haproxy: () => haproxyParser(),
  har: undefined,
  unknown: () => ({ parse: () => "trace format not recognised: name it (--format jsonl|envoy|nginx|har|csv|haproxy)" }),
};

/** The parser of a line format, or undefined for HAR (not line based). */
export function lineParser(format: TraceFormat | "unknown", options: ReadTraceOptions): LineParser | undefined {
  return PARSERS[format]?.(options);
}

/**
 * Reads the first lines (for detection) and gives back a stream that starts with them again: the
 * first SNIFF_LINES, and on to SNIFF_MORE_LINES when none of those is recognised.
 */
async function sniff(chunks: AsyncGenerator<string>, options: ReadTraceOptions): Promise<{ head: string; complete: boolean; rest: AsyncGenerator<string> }> {
  let head = "";
  let complete = false;
  let newlines = 0;
  const readTo = async (lines: number) => {
    while (!complete && newlines <= lines && head.length < SNIFF_CHARS) {
      const r = await chunks.next();
      if (r.done) {
        complete = true;
        break;
      }
      head += r.value;
      newlines += r.value.split("\n").length - 1;
    }
  };
  await readTo(SNIFF_LINES);
  if (!complete && !recognised(head, options, false)) await readTo(SNIFF_MORE_LINES);
  async function* rest(): AsyncGenerator<string> {
    if (head) yield head;
    if (!complete) yield* chunks;
  }
  return { head, complete, rest: rest() };
}

async function* readHar(chunks: AsyncIterable<string>, stats: TraceStats): AsyncGenerator<TraceRecord> {
  const ready: TraceRecord[] = [];
  const scanner = harScanner({
    entry(text, line) {
      let entry: unknown;
      try {
        entry = JSON.parse(text);
      } catch (e) {
        recordBad(stats, line, text, `HAR entry is not valid JSON: ${(e as Error).message}`);
        return;
      }
      const r = recordFromHarEntry(entry);
      if (typeof r === "string") recordBad(stats, line, text, r);
      else ready.push(r);
    },
    problem: (line, text, reason) => recordBad(stats, line, text, reason),
  });
  let sawText = false;
  let firstLine = ""; // for the sample when the input is no HAR at all
  for await (const chunk of chunks) {
    sawText = true;
    if (firstLine.length <= MAX_SAMPLE_CHARS && !firstLine.includes("\n")) firstLine += chunk.slice(0, MAX_SAMPLE_CHARS + 1);
    scanner.push(chunk);
    stats.lines = scanner.lines();
    while (ready.length) yield ready.shift()!;
  }
  scanner.end();
  stats.lines = sawText ? scanner.lines() : 0;
  if (!scanner.foundEntries() && stats.lines > 0) {
    // Not a HAR document (--format har on another trace): none of its lines was read.
    stats.bad = stats.lines;
    const sample = stats.badSamples[stats.badSamples.length - 1];
    if (sample) sample.text = firstLine.split("\n", 1)[0]!.replace(/\r$/, "").slice(0, MAX_SAMPLE_CHARS);
  }
  while (ready.length) yield ready.shift()!;
}

/** The step readLines takes for each line; chunked readers (trace/chunks.ts) take the same steps. */
export interface LineHandler {
  /** One physical line (its newline removed), numbered `stats.lines`. */
  line(raw: string): void;
  /** A line that is not passed on (longer than MAX_LINE_CHARS) came: it ends every split Docker line. */
  interrupt(): void;
  /** Whether a Docker line split here is unfinished (its next piece has not come). */
  open(): boolean;
  /** A line after a chunk's end (not counted): carries on only the Docker lines split in the chunk. */
  beyond(raw: string): void;
  /** The end of the lines: a split Docker line still unfinished is read as it stands. */
  end(): void;
}

/** The reason for a line a container wrote to stderr (Docker json-file) that is no request: the proxy's own log. */
export const STDERR_LINE = "the proxy's own log line (stream stderr), not an access log line";

const withoutCr = (raw: string): string => (raw.charCodeAt(raw.length - 1) === 13 /* \r */ ? raw.slice(0, -1) : raw);

/**
 * The step of readLines for each line: strips a CR, skips blank lines, takes off Docker's json-file
 * wrapper (joining the pieces of a split line), parses, counts a bad line or a record (`emit`) and
 * fills defaults. Chunked readers (trace/chunks.ts) use the same step so they read every line as
 * readTrace does; `carried` are the Docker lines split before the chunk, which its first lines
 * carry on and an earlier chunk reads. `collectors`: whether the trace is log collectors' records,
 * unwrapped as Docker's entries are (chunks decide it from the file's head); left undefined, the
 * trace's first non-blank line decides it as it is read (docker.ts opensCollectorTrace).
 */
export function lineHandler(
  parser: LineParser, options: ReadTraceOptions, stats: TraceStats, emit: (r: TraceRecord) => void, carried: CarriedSplit[] = [], collectors?: boolean,
): LineHandler {
  const keepsBlankLines = parser.keepsBlankLines === true;
  const keepsCarriageReturn = parser.keepsCarriageReturn === true;

  const parse = (line: string, raw: string): LineResult => {
    try {
      const r = parser.parse(keepsCarriageReturn ? raw : line);
      // A line that `kubectl logs --prefix/--timestamps` prefixed is read again without the prefix.
      // Only when it does not read as it is (a custom layout may open with a time), and not for
      // CSV, whose parser carries state from line to line.
      if (typeof r === "string" && !keepsBlankLines) {
        const bare = withoutKubectlPrefix(line);
        if (bare !== line) {
          const again = parser.parse(bare);
          if (again === null || typeof again === "object") return again;
        }
      }
      return r;
    } catch (e) {
      // A parser bug must not end a replay of millions of lines; it is still reported, with its message.
      return `internal error while parsing: ${(e as Error).message}`;
    }
  };
  const settle = (r: LineResult, lineNumber: number, text: string): void => {
    if (r === null) return;
    if (typeof r === "string") recordBad(stats, lineNumber, text, r);
    else {
      stats.records++;
      emit(applyDefaults(r, options));
    }
  };
  // The line a Docker entry wrapped (joined when split), numbered and sampled as its first physical line.
  const joiner = dockerJoiner(
    MAX_LINE_CHARS,
    (log, stream, lineNumber, text) => {
      // CSV keeps a CR (a quoted field's CRLF) and blank lines (inside a quoted field).
      const inner = keepsCarriageReturn ? (log.endsWith("\n") ? log.slice(0, -1) : log) : innerLine(log);
      if (!keepsBlankLines && !notBlank(inner)) return;
      const r = parse(inner, inner);
      // What a proxy writes to stderr and is no request is its own log (Envoy's, nginx's error log).
      settle(typeof r === "string" && stream === "stderr" ? STDERR_LINE : r, lineNumber, text);
    },
    (lineNumber, text) => recordBad(stats, lineNumber, text, OVERLONG_REASON),
    carried,
    collectors === true,
  );
  const line = (raw: string): void => {
    const text = withoutCr(raw);
    if (joiner.line(text, stats.lines)) return;
    if (!keepsBlankLines && !notBlank(text)) return;
    settle(parse(text, raw), stats.lines, text);
  };
  const handler: LineHandler = {
    line,
    interrupt() {
      handler.line = line; // an over-long first line is no collector's record
      joiner.finishAll();
    },
    open: joiner.open,
    beyond: (raw) => joiner.beyond(withoutCr(raw)),
    end: joiner.finishAll,
  };
  // Until the first non-blank line is read, each line is looked at once more; then the step is
  // `line` alone, so the lines after pay nothing for the collectors' check.
  if (collectors === undefined) {
    handler.line = (raw) => {
      const text = withoutCr(raw);
      if (notBlank(text) || stats.lines >= COLLECTOR_SNIFF_LINES) {
        handler.line = line;
        if (notBlank(text) && stats.lines <= COLLECTOR_SNIFF_LINES && opensCollectorTrace(text)) joiner.unwrapCollectors();
      }
      line(raw);
    };
  }
  return handler;
}

/**
 * The line formats' loop: splits lines, parses, fills defaults and counts, all in one generator
 * (each generator layer costs per record, and traces run to millions of lines). It yields the
 * records one by one (`perRecord`: each as soon as its line is read, so stats stand at that
 * line), or in batches: every record of a chunk at once, as an array, so a replay pays the
 * async iteration once per chunk, not once per record.
 */
async function* readLines(
  chunks: AsyncIterable<string>, parser: LineParser, options: ReadTraceOptions, stats: TraceStats, perRecord: boolean,
): AsyncGenerator<TraceRecord | TraceRecord[]> {
  // The unfinished line, as the pieces it arrived in: joined once when its newline comes, so a long
  // line costs linear time, not a rescan per chunk.
  let parts: string[] = [];
  let partsLength = 0;
  let dropping = false; // inside an over-long line, discarding until its newline
  let batch: TraceRecord[] = [];
  const handler = lineHandler(parser, options, stats, (r) => batch.push(r));
  for await (const chunk of chunks) {
    let nl = chunk.indexOf("\n");
    if (nl === -1) {
      if (!dropping) {
        parts.push(chunk);
        partsLength += chunk.length;
        if (partsLength > MAX_LINE_CHARS) {
          handler.interrupt();
          recordBad(stats, stats.lines + 1, parts.join(""), OVERLONG_REASON);
          dropping = true;
          parts = [];
          partsLength = 0;
        }
      }
      continue;
    }
    let start = 0;
    while (nl !== -1) {
      stats.lines++;
      if (dropping) dropping = false;
      else {
        let raw = chunk.slice(start, nl);
        if (parts.length) {
          parts.push(raw);
          raw = parts.join("");
          parts = [];
          partsLength = 0;
        }
        // The piece that brings the newline can take a line past the limit too (chunks.ts counts alike).
        if (raw.length > MAX_LINE_CHARS) {
          handler.interrupt();
          recordBad(stats, stats.lines, raw, OVERLONG_REASON);
        } else handler.line(raw);
        if (perRecord && batch.length) {
          for (let i = 0; i < batch.length; i++) yield batch[i]!;
          batch = [];
        }
      }
      start = nl + 1;
      nl = chunk.indexOf("\n", start);
    }
    if (start < chunk.length) {
      parts.push(chunk.slice(start));
      partsLength = chunk.length - start;
    }
    if (batch.length) {
      if (perRecord) yield* batch;
      else yield batch;
      batch = [];
    }
  }
  if (partsLength || dropping) {
    stats.lines++;
    if (!dropping) handler.line(parts.join(""));
  }
  handler.end();
  if (batch.length) {
    if (perRecord) yield* batch;
    else yield batch;
  }
  const left = parser.end?.();
  if (left) recordBad(stats, stats.lines, left.text, left.reason);
}

async function* readHarRecords(chunks: AsyncIterable<string>, options: ReadTraceOptions, stats: TraceStats, perRecord: boolean): AsyncGenerator<TraceRecord | TraceRecord[]> {
  for await (const r of readHar(chunks, stats)) {
    stats.records++;
    yield perRecord ? applyDefaults(r, options) : [applyDefaults(r, options)];
  }
}

/** Detects the format (unless named) and picks the reader for it: records one by one, or batches (readLines). */
async function open(input: TraceInput, options: ReadTraceOptions, stats: TraceStats, perRecord: true): Promise<AsyncGenerator<TraceRecord>>;
async function open(input: TraceInput, options: ReadTraceOptions, stats: TraceStats, perRecord: false): Promise<AsyncGenerator<TraceRecord[]>>;
async function open(input: TraceInput, options: ReadTraceOptions, stats: TraceStats, perRecord: boolean): Promise<AsyncGenerator<TraceRecord | TraceRecord[]>> {
  // A compression problem is one bad "line" where the readable text stops (nothing read: line 1).
  let chunks = decodeText(input, (reason) => recordBad(stats, stats.lines + 1, "", reason));
  let format: TraceFormat | "unknown";
  if (options.format && options.format !== "auto") format = options.format;
  else {
    const sniffed = await sniff(chunks, options);
    format = detectFormat(sniffed.head, options, sniffed.complete);
    chunks = sniffed.rest;
  }
  stats.format = format;
  const parser = PARSERS[format];
  return parser ? readLines(chunks, parser(options), options, stats, perRecord) : readHarRecords(chunks, options, stats, perRecord);
}

/**
 * The format readTrace would read `input` as: the named one, or the one detected from the head of
 * the input (read as readTrace reads it). Reads only the head, then closes the input.
 */
export async function traceFormat(input: TraceInput, options: ReadTraceOptions = {}): Promise<TraceFormat | "unknown"> {
  if (options.format && options.format !== "auto") return options.format;
  const chunks = decodeText(input);
  try {
    const sniffed = await sniff(chunks, options);
    return detectFormat(sniffed.head, options, sniffed.complete);
  } finally {
    await chunks.return(undefined);
  }
}

/** The hidden batch iterator of a readTrace reader (traceBatches). */
const BATCHES = Symbol("gwsim.traceBatches");

/**
 * The records of a readTrace reader a chunk at a time (each batch in trace order, read before
 * the batch is handed over), or null for any other iterable. Replays loop over a batch
 * synchronously. Like the reader itself, it can be iterated only once.
 */
export function traceBatches(source: unknown): AsyncIterable<TraceRecord[]> | null {
  const batches = source !== null && typeof source === "object" ? (source as { [BATCHES]?: () => AsyncIterable<TraceRecord[]> })[BATCHES] : undefined;
  return typeof batches === "function" ? batches.call(source) : null;
}

/**
 * Reads a trace as requests, one at a time. Lines that cannot be read are counted and sampled in
 * `stats` and skipped; reading goes on. It never throws on bad data; an error of the input stream
 * itself (a file that cannot be opened) rejects the iteration. Iterate it once.
 */
export function readTrace(input: TraceInput, options: ReadTraceOptions = {}): TraceReader {
  const stats: TraceStats = { format: undefined, lines: 0, records: 0, bad: 0, badSamples: [] };
  if (options.file !== undefined) stats.file = options.file;
  if (options.onBadLine) badLineHooks.set(stats, options.onBadLine);
  let started = false;
  const start = (): void => {
    if (started) throw new Error("readTrace: a trace stream can be iterated only once");
    started = true;
  };
  const reader: TraceReader = {
    stats,
    [Symbol.asyncIterator](): AsyncIterator<TraceRecord> {
      start();
      // The reader is chosen on the first next(), after detection; from then on calls go straight to it.
      let inner: Promise<AsyncGenerator<TraceRecord>> | undefined;
      let ready: AsyncGenerator<TraceRecord> | undefined;
      const get = () => (inner ??= open(input, options, stats, true).then((g) => (ready = g)));
      return {
        next: () => (ready ? ready.next() : get().then((g) => g.next())),
        return: async (value?: unknown) => {
          const g = ready ?? (inner ? await inner : undefined);
          return g ? g.return(value as undefined) : { done: true, value: undefined };
        },
      };
    },
  };
  Object.defineProperty(reader, BATCHES, {
    value: (): AsyncIterable<TraceRecord[]> => {
      start();
      return {
        [Symbol.asyncIterator]: () => {
          let inner: AsyncGenerator<TraceRecord[]> | undefined;
          return {
            next: async () => (inner ??= await open(input, options, stats, false)).next(),
            return: async (value?: unknown) => (inner ? inner.return(value as undefined) : { done: true as const, value: undefined }),
          };
        },
      };
    },
  });
  return reader;
}
