// Docker's json-file log driver (/var/lib/docker/containers/<id>/<id>-json.log) wraps each line the
// container wrote: {"log":"<line>\n","stream":"stdout","time":"<RFC 3339>"} (plus "attrs" with
// --log-opt labels/env/tag). A line over 16 KiB is written as several entries, all but the last
// without the trailing "\n" (moby daemon/logger/copier.go). The wrapper is a layer under any
// format: the log string is the real line, read by the trace's format.

/** One json-file entry: the line (with its "\n" unless Docker split it) and the stream it came from. */
export interface DockerEntry {
  log: string;
  stream: "stdout" | "stderr";
}

/**
 * Longer physical lines are not taken as Docker entries. Docker's are at most 16 KiB of line, each
 * byte at worst 6 characters once JSON-escaped, plus the time and attrs; the bound keeps the look
 * back of a chunk reader (chunks.ts) short.
 */
export const DOCKER_MAX_CHARS = 256 * 1024;

const KEYS = new Set(["log", "stream", "time", "attrs"]);

/**
 * The json-file entry a line is, or undefined. Docker writes the keys in the order log, stream,
 * attrs, time and leaves out an empty log, so only lines opening so are parsed (others, such as
 * Envoy JSON lines, cost one comparison). Only the json-file keys are allowed: an object with
 * others is some other log's line, read as it is.
 */
export function dockerEntry(line: string): DockerEntry | undefined {
  if (line.charCodeAt(0) !== 123 /* { */ || line.length > DOCKER_MAX_CHARS) return undefined;
  if (!line.startsWith('{"log":"') && !line.startsWith('{"stream":"')) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) return undefined;
  const e = o as Record<string, unknown>;
  for (const k in e) if (!KEYS.has(k)) return undefined;
  const log = e.log ?? "";
  if (typeof log !== "string" || (e.stream !== "stdout" && e.stream !== "stderr") || typeof e.time !== "string") return undefined;
  return { log, stream: e.stream };
}

/** Whether Docker split the entry's line: its next piece follows. */
export function isPartial(e: DockerEntry): boolean {
  return !e.log.endsWith("\n");
}

/**
 * Whether `next` carries on the line `prev` left unfinished. Only the very next line can: Docker
 * writes a split line's pieces one after the other, and an entry of the other stream or any other
 * line in between ends it (the line is then read as it stands, a cut line).
 */
export function continues(prev: DockerEntry | undefined, next: DockerEntry | undefined): next is DockerEntry {
  return prev !== undefined && next !== undefined && isPartial(prev) && next.stream === prev.stream;
}

/** A wrapped line without its newline (and the CR of a CRLF the container wrote). */
export function innerLine(log: string): string {
  let end = log.length;
  if (log.charCodeAt(end - 1) === 10) end--;
  if (log.charCodeAt(end - 1) === 13) end--;
  return end === log.length ? log : log.slice(0, end);
}

/** Lines with Docker's wrapper taken off and split lines joined (for detection, which reads whole lines). */
export function unwrapDockerLines(lines: string[]): string[] {
  const out: string[] = [];
  let open: DockerEntry | undefined;
  let parts: string[] = [];
  const flush = () => {
    if (open) out.push(innerLine(parts.join("")));
    open = undefined;
    parts = [];
  };
  for (const line of lines) {
    const e = dockerEntry(line);
    if (!continues(open, e)) flush();
    if (!e) {
      out.push(line);
      continue;
    }
    parts.push(e.log);
    open = e;
    if (!isPartial(e)) flush();
  }
  flush();
  return out;
}
