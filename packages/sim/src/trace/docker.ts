// Docker's json-file log driver (/var/lib/docker/containers/<id>/<id>-json.log) wraps each line the
// container wrote: {"log":"<line>\n","stream":"stdout","time":"<RFC 3339>"} (plus "attrs" with
// --log-opt labels/env/tag). A line over 16 KiB is written as several entries, all but the last
// without the trailing "\n" (moby daemon/logger/copier.go). The wrapper is a layer under any
// format: the log string is the real line, read by the trace's format.
//
// Log collectors ship the same line inside their own records (collectorEntry): Fluent Bit's tail
// input with its docker or cri parser ({"log","stream","time"}, "logtag" for CRI) plus what its
// filters and outputs add ("kubernetes" map, "date", "@timestamp"); Fluentd's in_tail with the
// kubernetes_metadata filter ({"log","stream","docker":{...},"kubernetes":{...}}); Vector's
// kubernetes_logs source ({"file","kubernetes":{...},"message","source_type","stream","timestamp"}).

/** One json-file entry: the line (with its "\n" unless Docker split it) and the stream it came from. */
export interface DockerEntry {
  log: string;
  stream: "stdout" | "stderr";
  /** A log collector's record: its line is whole (collectors join split lines themselves), never a piece. */
  whole?: true;
}

/**
 * Longer physical lines are not taken as Docker entries. Docker's are at most 16 KiB of line, each
 * byte at worst 6 characters once JSON-escaped, plus the time and attrs; the bound keeps the look
 * back of a chunk reader (chunks.ts) short.
 */
export const DOCKER_MAX_CHARS = 256 * 1024;

const KEYS = new Set(["log", "stream", "time", "attrs"]);

/** Whether a line opens as Docker writes its entries (the first check of dockerEntry). */
function opensLikeEntry(line: string): boolean {
  return line.charCodeAt(0) === 123 /* { */ && (line.startsWith('{"log":"') || line.startsWith('{"stream":"'));
}

/**
 * The json-file entry a line is, or undefined. Docker writes the keys in the order log, stream,
 * attrs, time and leaves out an empty log, so only lines opening so are parsed (others, such as
 * Envoy JSON lines, cost one comparison). Only the json-file keys are allowed: an object with
 * others is some other log's line, read as it is.
 */
export function dockerEntry(line: string): DockerEntry | undefined {
  if (!opensLikeEntry(line) || line.length > DOCKER_MAX_CHARS) return undefined;
  const e = jsonObject(line);
  return e && asDockerEntry(e);
}

function jsonObject(line: string): Record<string, unknown> | undefined {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  return isMap(o) ? o : undefined;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function asDockerEntry(e: Record<string, unknown>): DockerEntry | undefined {
  for (const k in e) if (!KEYS.has(k)) return undefined;
  const log = e.log ?? "";
  if (typeof log !== "string" || (e.stream !== "stdout" && e.stream !== "stderr") || typeof e.time !== "string") return undefined;
  return { log, stream: e.stream };
}

/** The time keys collectors put beside a line: the runtime's (time), Fluent Bit json output's (date), Elasticsearch's (@timestamp), Vector's (timestamp). */
const COLLECTOR_TIME_KEYS = ["time", "date", "@timestamp", "timestamp"];

/**
 * The line a log collector's record carries, or undefined. The line is `log` (Fluent Bit,
 * Fluentd) or else `message` (Vector), a string; the record must say it comes from a collector:
 * a `kubernetes` or `docker` map, Vector's `source_type`, or a `stream` (stdout/stderr) beside a
 * time. A JSON access log that merely has a `kubernetes` key has no line to unwrap and is read as
 * it is; so is a record whose `log` is no string (Fluent Bit's Merge_Log into `log`). Docker's own
 * entries (its keys only) are not collectors' (dockerEntry reads them, pieces joined).
 */
export function asCollectorEntry(e: Record<string, unknown>): DockerEntry | undefined {
  const log = typeof e.log === "string" ? e.log : e.log === undefined && typeof e.message === "string" ? e.message : undefined;
  if (log === undefined) return undefined;
  const stream = e.stream;
  const std = stream === "stdout" || stream === "stderr";
  if (stream !== undefined && !std) return undefined;
  const marked = isMap(e.kubernetes) || isMap(e.docker) || typeof e.source_type === "string" || (std && COLLECTOR_TIME_KEYS.some((k) => k in e));
  if (!marked) return undefined;
  let onlyDockers = true;
  for (const k in e) if (!KEYS.has(k)) onlyDockers = false;
  if (onlyDockers) return undefined;
  return { log, stream: stream === "stderr" ? "stderr" : "stdout", whole: true };
}

/** A Docker json-file entry or a collector's record (for traces that open with a collector's record: opensCollectorTrace). */
export function wrappedEntry(line: string): DockerEntry | undefined {
  if (line.charCodeAt(0) !== 123 /* { */ || line.length > DOCKER_MAX_CHARS) return undefined;
  const e = jsonObject(line);
  if (!e) return undefined;
  return (opensLikeEntry(line) ? asDockerEntry(e) : undefined) ?? asCollectorEntry(e);
}

/** Whether a line holds more than white space (readers skip blank lines). */
export function notBlank(line: string): boolean {
  const c = line.charCodeAt(0);
  return (c > 32 && c < 127) || (line.length > 0 && /\S/.test(line));
}

/** Of a trace's first lines, how far the readers look for the one that says whether it is a collector's. */
export const COLLECTOR_SNIFF_LINES = 20;

/**
 * Whether a line, the first non-blank one of a trace (among its first COLLECTOR_SNIFF_LINES), makes
 * the trace a log collector's records, which readers then unwrap. Collectors write nothing but
 * records (files, Vector's sinks, Fluent Bit's json outputs), so their first line tells; it is
 * decided there, as the line is read, so a reader streaming an explicit format waits for nothing,
 * and a trace that is not (JSON Lines, Envoy JSON, Docker's json-file) pays nothing per line after.
 */
export function opensCollectorTrace(line: string): boolean {
  return wrappedEntry(line)?.whole === true;
}

/**
 * Whether Docker split the entry's line: its next piece follows. An entry without a log is no piece
 * (Docker adds the "\n" to every whole line and splits only lines of 16 KiB): an empty line.
 */
export function isPartial(e: DockerEntry): boolean {
  return e.whole !== true && e.log !== "" && !e.log.endsWith("\n");
}

/** A wrapped line without its newline (and the CR of a CRLF the container wrote). */
export function innerLine(log: string): string {
  let end = log.length;
  if (log.charCodeAt(end - 1) === 10) end--;
  if (log.charCodeAt(end - 1) === 13) end--;
  return end === log.length ? log : log.slice(0, end);
}

/**
 * How many entries of the other stream may come between two pieces of a split line. Docker copies
 * stdout and stderr concurrently (one goroutine each), so the other stream's lines can land between
 * the pieces; past this many the line is taken as cut. It bounds how far a chunk reader looks back.
 */
export const MAX_INTERLEAVED = 16;

type Stream = DockerEntry["stream"];
const OTHER: Record<Stream, Stream> = { stdout: "stderr", stderr: "stdout" };

/** A split line open where a chunk starts, begun in an earlier chunk (which reads it): its stream and the other stream's entries since its last piece. */
export interface CarriedSplit {
  stream: Stream;
  gap: number;
}

interface Split {
  /** Begun before the lines this joiner reads (a chunk's carried split): its pieces are skipped, nothing is delivered. */
  carried: boolean;
  line: number;
  sample: string;
  parts: string[];
  length: number;
  overlong: boolean;
  gap: number;
  slot?: Slot;
}

interface Slot {
  ready: boolean;
  run?: () => void;
}

export interface DockerJoiner {
  /** A physical line (without its CR), numbered `line`: false when it is no Docker entry (every split line is finished first; the caller reads it). */
  line(text: string, line: number): boolean;
  /** A line after a chunk's end: only carries on (or ends) the splits begun in the chunk; nothing of it is read otherwise. */
  beyond(text: string): void;
  /** Whether a split begun here is unfinished. */
  open(): boolean;
  /** Finishes every split line as it stands (a line that is no entry, the end of the input). */
  finishAll(): void;
  /** From now on, collectors' records are unwrapped too (the trace opens with one: opensCollectorTrace). */
  unwrapCollectors(): void;
}

/**
 * Takes Docker's wrapper off line by line and joins split lines, giving each line's text (the log
 * string, its newline kept) to `deliver` in the order the lines start: what comes while a split line
 * is unfinished waits for it. A joined line longer than `maxChars` goes to `tooLong` instead.
 * With `collectors` (the trace opens with collectors' records), their records are unwrapped too;
 * without, a line pays only the Docker opening test, as before.
 */
export function dockerJoiner(
  maxChars: number,
  deliver: (log: string, stream: Stream, line: number, sample: string) => void,
  tooLong: (line: number, sample: string) => void,
  carried: CarriedSplit[] = [],
  collectors = false,
): DockerJoiner {
  let mayBeEntry = opensLikeEntry;
  let entryOf = dockerEntry;
  const unwrapCollectors = (): void => {
    mayBeEntry = (text: string) => text.charCodeAt(0) === 123; /* { */
    entryOf = wrappedEntry;
  };
  if (collectors) unwrapCollectors();
  const splits: Partial<Record<Stream, Split>> = {};
  for (const c of carried) splits[c.stream] = { carried: true, line: 0, sample: "", parts: [], length: 0, overlong: false, gap: c.gap };
  const waiting: Slot[] = [];
  const flush = (): void => {
    while (waiting.length && waiting[0]!.ready) waiting.shift()!.run?.();
  };
  const finish = (stream: Stream): void => {
    const s = splits[stream];
    if (!s) return;
    delete splits[stream];
    if (!s.slot) return;
    s.slot.ready = true;
    s.slot.run = s.overlong ? () => tooLong(s.line, s.sample) : () => deliver(s.parts.join(""), stream, s.line, s.sample);
    flush();
  };
  const finishAll = (): void => {
    finish("stdout");
    finish("stderr");
  };
  const append = (s: Split, log: string): void => {
    s.gap = 0;
    if (s.carried || s.overlong) return;
    s.parts.push(log);
    s.length += log.length;
    if (s.length > maxChars) {
      s.overlong = true;
      s.parts = [];
    }
  };
  /** An entry of `stream` came: the other stream's split waits one entry longer. */
  const interleave = (stream: Stream, ownOnly: boolean): void => {
    const o = splits[OTHER[stream]];
    if (o && !(ownOnly && o.carried) && ++o.gap > MAX_INTERLEAVED) finish(OTHER[stream]);
  };
  return {
    line(text, line) {
      // Most traces are no Docker log: with nothing split, a line that cannot be an entry costs a comparison.
      if (splits.stdout === undefined && splits.stderr === undefined && !mayBeEntry(text)) return false;
      const e = entryOf(text);
      if (!e) {
        finishAll();
        return false;
      }
      if (e.whole) {
        // A collector's record is no piece of a Docker line: it ends split ones, as other lines do (chunks.ts looks back alike).
        finishAll();
        deliver(e.log, e.stream, line, text);
        return true;
      }
      interleave(e.stream, false);
      const s = splits[e.stream];
      if (s) {
        append(s, e.log);
        if (!isPartial(e)) finish(e.stream);
      } else if (isPartial(e)) {
        const slot: Slot = { ready: false };
        waiting.push(slot);
        splits[e.stream] = { carried: false, line, sample: text, parts: [e.log], length: e.log.length, overlong: e.log.length > maxChars, gap: 0, slot };
      } else if (waiting.length) waiting.push({ ready: true, run: () => deliver(e.log, e.stream, line, text) });
      else deliver(e.log, e.stream, line, text);
      return true;
    },
    beyond(text) {
      const e = entryOf(text);
      if (!e || e.whole) {
        finishAll();
        return;
      }
      interleave(e.stream, true);
      const s = splits[e.stream];
      if (s && !s.carried) {
        append(s, e.log);
        if (!isPartial(e)) finish(e.stream);
      }
    },
    open: () => Object.values(splits).some((s) => s && !s.carried),
    finishAll,
    unwrapCollectors,
  };
}

/** Lines with Docker's wrapper (and with `collectors`, collectors' records) taken off and split lines joined (for detection, which reads whole lines). */
export function unwrapDockerLines(lines: string[], collectors = false): string[] {
  const out: string[] = [];
  const joiner = dockerJoiner(Infinity, (log) => out.push(innerLine(log)), () => {}, [], collectors);
  lines.forEach((l, i) => {
    if (!joiner.line(l, i)) out.push(l);
  });
  joiner.finishAll();
  return out;
}
