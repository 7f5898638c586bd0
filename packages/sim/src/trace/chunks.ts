/**
 * Reading a line-based trace file in pieces by byte offset, so that several threads can parse one
 * file at once. A chunk is a byte range [start, end); it owns the lines that START in it (a line
 * starts at offset 0 and after every "\n" byte) and reads past its end to finish its last line.
 * "\n" never occurs inside a multi-byte UTF-8 sequence, so splitting at it splits no character.
 * A Docker json-file line split into several entries (trace/docker.ts) is read by the chunk its
 * first piece starts in, past its end if need be; later chunks skip its pieces (they look back to
 * know which lines split before them are still open), though they count them as their lines.
 *
 * Every line goes through the step readTrace uses (lineHandler: CR, blank lines, parse, defaults,
 * bad-line reasons), and the chunks' counts added up in order (addChunkStats) are readTrace's
 * stats for the whole file. Not for CSV (a quoted field may span lines, so where a record starts
 * cannot be told from a byte offset) nor HAR (one JSON document).
 */
import { closeSync, openSync, readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { COLLECTOR_SNIFF_LINES, DOCKER_MAX_CHARS, dockerEntry, isPartial, MAX_INTERLEAVED, notBlank, opensCollectorTrace, type CarriedSplit } from "./docker.js";
import { lineHandler, lineParser, MAX_LINE_CHARS, OVERLONG_REASON, recordBad, utf16Of } from "./index.js";
import { compressionOf } from "./compressed.js";
import {
  MAX_BAD_SAMPLES, MAX_SAMPLE_CHARS,
  type BadSample, type ReadTraceOptions, type TraceFormat, type TraceRecord, type TraceStats,
} from "./types.js";

/** Chunks of this many bytes by default: a few MiB, so that each is parsed in milliseconds and a couple fit in memory per thread. */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Whether a trace can be read chunk by chunk: a line format, and (given the file) not UTF-16,
 * whose line ends are not the byte "\n" the chunks split at.
 */
export function isChunkable(format: TraceFormat | "unknown", path?: string): boolean {
  if (format === "csv" || format === "har") return false;
  if (path === undefined) return true;
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return true; // the reader reports the error
  }
  try {
    const head = readAt(fd, 0, 6);
    // Byte ranges of compressed data are not lines: one thread reads it through the decompressor.
    return utf16Of(head) === undefined && compressionOf(head) === null;
  } finally {
    closeSync(fd);
  }
}

/** What a chunk contributes to the file's stats; line numbers of the samples count from the chunk's first line (1). */
export interface ChunkCount {
  lines: number;
  records: number;
  bad: number;
  badSamples: BadSample[];
}

export interface ChunkRead extends ChunkCount {
  /** The chunk's records, in line order. */
  requests: TraceRecord[];
}

/** The byte ranges of the chunks of a file of `size` bytes. */
export function chunkRanges(size: number, chunkBytes: number = DEFAULT_CHUNK_BYTES): [number, number][] {
  const step = Math.max(1, Math.floor(chunkBytes));
  const ranges: [number, number][] = [];
  for (let start = 0; start < size; start += step) ranges.push([start, Math.min(size, start + step)]);
  return ranges;
}

const NL = 10;
const BOM = [0xef, 0xbb, 0xbf];
/** The end of a chunk's last line is read in blocks from this size (lines are short) up to TAIL_BLOCK_MAX. */
const TAIL_BLOCK = 4096;
const TAIL_BLOCK_MAX = 1024 * 1024;

/** Reads `length` bytes at `position` (fewer at the end of the file), into `into` when it is big enough. */
function readAt(fd: number, position: number, length: number, into?: Buffer): Buffer {
  const buf = into && into.length >= length ? into.subarray(0, Math.max(0, length)) : Buffer.allocUnsafe(Math.max(0, length));
  let n = 0;
  while (n < buf.length) {
    const got = readSync(fd, buf, n, buf.length - n, position + n);
    if (got === 0) break;
    n += got;
  }
  return n < buf.length ? buf.subarray(0, n) : buf;
}

/**
 * Bytes of leading byte order marks at offset 0. readTrace drops a U+FEFF its decoder meets first
 * and then one more at the start of the text (a string input's BOM), so up to two.
 */
function bomBytes(head: Buffer): number {
  let skip = 0;
  while (skip < 6 && head[skip] === BOM[0] && head[skip + 1] === BOM[1] && head[skip + 2] === BOM[2]) skip += 3;
  return skip;
}

/** A reader of the chunks of one open file, with one parser (line formats carry no state from line to line). */
export interface ChunkReader {
  read(start: number, end: number): ChunkRead;
}

export function chunkReader(fd: number, format: TraceFormat | "unknown", options: ReadTraceOptions): ChunkReader {
  const parser = lineParser(format, options);
  if (!parser || !isChunkable(format)) throw new Error(`chunkReader: ${format} cannot be read by chunks`);
  if (utf16Of(readAt(fd, 0, 4))) throw new Error("chunkReader: a UTF-16 file cannot be read by chunks (isChunkable with its path says so)");
  if (compressionOf(readAt(fd, 0, 6))) throw new Error("chunkReader: a compressed file cannot be read by chunks (isChunkable with its path says so)");
  const collectors = opensWithCollectorRecord(fd);
  // One buffer for every chunk of this reader: a chunk's text is decoded out of it before the next read.
  let scratch: Buffer | undefined;
  return {
    read(start, end) {
      const stats: TraceStats = { format, lines: 0, records: 0, bad: 0, badSamples: [] };
      const requests: TraceRecord[] = [];
      const done = (): ChunkRead => ({ lines: stats.lines, records: stats.records, bad: stats.bad, badSamples: stats.badSamples, requests });
      // The byte before the range tells whether a line starts at `start`; if not, the first "\n"
      // in range ends a line of an earlier chunk and the next one is ours (if it starts before `end`).
      const from = start === 0 ? 0 : start - 1;
      if (!scratch || scratch.length < end - from) scratch = Buffer.allocUnsafe(end - from);
      const buf = readAt(fd, from, end - from, scratch);
      let lineStart = 0; // offset in buf of the first line owned
      // Docker lines split before the chunk that its first lines may carry on (an earlier chunk reads them).
      let carried: CarriedSplit[] = [];
      if (start > 0) {
        const nl = buf.indexOf(NL);
        if (nl === -1) return done();
        lineStart = nl + 1;
        if (lineStart < buf.length && mayBeDocker(readAt(fd, from + lineStart, DOCKER_OPENINGS_BYTES))) carried = splitsOpenAt(fd, from + nl);
      }
      const handler = lineHandler(parser, options, stats, (r) => requests.push(r), carried, collectors);
      // Every line that starts in range is counted here, so line numbers are the file's.
      const line = (raw: string): void => {
        stats.lines++;
        if (raw.length > MAX_LINE_CHARS) {
          handler.interrupt();
          recordBad(stats, stats.lines, raw.slice(0, MAX_SAMPLE_CHARS + 1), OVERLONG_REASON);
        } else handler.line(raw);
      };
      const overlong = (sample: string): void => {
        handler.interrupt();
        recordBad(stats, stats.lines + 1, sample, OVERLONG_REASON);
      };
      // Where the text of the next line begins: after the BOMs for the file's first line.
      let contentStart = start === 0 ? bomBytes(readAt(fd, 0, 6)) : lineStart;
      let tailStart = lineStart; // where the line that may run past `end` starts
      const lastNl = buf.lastIndexOf(NL);
      if (lastNl >= lineStart) {
        // Whole lines: decoded at once (no character crosses a "\n"), then split.
        const text = buf.toString("utf8", contentStart, lastNl);
        let i = 0;
        for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", i)) {
          line(text.slice(i, nl));
          i = nl + 1;
        }
        line(text.slice(i));
        tailStart = contentStart = lastNl + 1;
      }
      let next = from + buf.length; // the file offset of the line after the chunk's last
      if (tailStart < buf.length) {
        // The last line starts in range and ends at a later "\n" or at the end of the file.
        next = readTail(fd, buf.subarray(Math.min(contentStart, buf.length)), from + Math.max(buf.length, contentStart), stats, line, overlong);
      }
      // A Docker line split at the chunk's end: its next pieces are read here, past the end (not
      // counted: the chunk they start in counts them), with the other stream's entries between them.
      while (handler.open()) {
        const after = lineAt(fd, next, DOCKER_MAX_BYTES);
        if (!after) break;
        handler.beyond(after.text);
        next = after.next;
      }
      handler.end();
      return done();
    },
  };
}

const withoutCr = (raw: string): string => (raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw);

/**
 * Whether the file is log collectors' records, decided as readTrace decides it while reading: its
 * first non-blank line among the first COLLECTOR_SNIFF_LINES (a line too long to be a record is not one).
 */
function opensWithCollectorRecord(fd: number): boolean {
  let position = bomBytes(readAt(fd, 0, 6));
  for (let n = 0; n < COLLECTOR_SNIFF_LINES; n++) {
    const line = lineAt(fd, position, DOCKER_MAX_BYTES);
    if (!line) return false;
    const text = withoutCr(line.text);
    if (notBlank(text)) return opensCollectorTrace(text);
    position = line.next;
  }
  return false;
}

/** A Docker entry's line has at most DOCKER_MAX_CHARS characters, so at most this many bytes of UTF-8. */
const DOCKER_MAX_BYTES = 3 * DOCKER_MAX_CHARS;
const DOCKER_OPENINGS = ['{"log":"', '{"stream":"'].map((s) => Buffer.from(s));
const DOCKER_OPENINGS_BYTES = 11;

/** Whether bytes open as a Docker json-file entry does (dockerEntry's first test). */
function mayBeDocker(head: Buffer): boolean {
  return DOCKER_OPENINGS.some((o) => head.subarray(0, o.length).equals(o));
}

/**
 * The Docker lines split before the line after the "\n" at `newline` and still open there: for each
 * stream, its latest entry when it is partial and only entries of the other stream, at most
 * MAX_INTERLEAVED, follow it (dockerJoiner's rules, read backwards).
 */
function splitsOpenAt(fd: number, newline: number): CarriedSplit[] {
  const open: CarriedSplit[] = [];
  const seen = new Set<string>();
  let nl = newline;
  for (let gap = 0; gap <= MAX_INTERLEAVED && seen.size < 2 && nl >= 0; gap++) {
    const before = lineEndingAt(fd, nl, DOCKER_MAX_BYTES);
    const entry = before && dockerEntry(withoutCr(before.text));
    if (!entry) break;
    if (!seen.has(entry.stream)) {
      seen.add(entry.stream);
      if (isPartial(entry)) open.push({ stream: entry.stream, gap });
    }
    nl = before.start - 1;
  }
  return open;
}

/**
 * The line whose "\n" is at `newline`: its text (without BOMs when it is the file's first line) and
 * the offset it starts at; undefined when it is longer than `maxBytes`.
 */
function lineEndingAt(fd: number, newline: number, maxBytes: number): { text: string; start: number } | undefined {
  const blocks: Buffer[] = [];
  let length = 0;
  let position = newline;
  let size = TAIL_BLOCK;
  for (;;) {
    if (position === 0) {
      const all = Buffer.concat(blocks);
      return { text: all.toString("utf8", bomBytes(all)), start: 0 };
    }
    const n = Math.min(size, position);
    const block = readAt(fd, position - n, n);
    const nl = block.lastIndexOf(NL);
    if (nl !== -1) {
      blocks.unshift(block.subarray(nl + 1));
      return length + n - nl - 1 > maxBytes ? undefined : { text: Buffer.concat(blocks).toString("utf8"), start: position - n + nl + 1 };
    }
    blocks.unshift(block);
    length += n;
    position -= n;
    if (length > maxBytes) return undefined;
    size = Math.min(TAIL_BLOCK_MAX, size * 4);
  }
}

/** The line starting at `position`: its text and the offset after its "\n"; undefined at the end of the file or when longer than `maxBytes`. */
function lineAt(fd: number, position: number, maxBytes: number): { text: string; next: number } | undefined {
  const blocks: Buffer[] = [];
  let length = 0;
  let size = TAIL_BLOCK;
  for (;;) {
    const block = readAt(fd, position + length, size);
    const nl = block.indexOf(NL);
    if (nl !== -1) {
      blocks.push(block.subarray(0, nl));
      length += nl;
      return length > maxBytes ? undefined : { text: Buffer.concat(blocks).toString("utf8"), next: position + length + 1 };
    }
    blocks.push(block);
    length += block.length;
    if (length > maxBytes) return undefined;
    if (block.length < size) return length === 0 ? undefined : { text: Buffer.concat(blocks).toString("utf8"), next: position + length };
    size = Math.min(TAIL_BLOCK_MAX, size * 4);
  }
}

/**
 * Finishes the chunk's last line: its first bytes are `first`, the rest is read from `position`
 * up to a "\n" or the end of the file. A line over MAX_LINE_CHARS is not kept whole: its start is
 * kept for the sample (`overlong`), the rest skipped up to its newline. Gives the file offset after the line.
 */
function readTail(
  fd: number, first: Buffer, position: number, stats: TraceStats, line: (raw: string) => void, overlong: (sample: string) => void,
): number {
  const decoder = new StringDecoder("utf8");
  let parts: string[] = [];
  let length = 0;
  let bytes = 0;
  let tooLong = false;
  const add = (block: Buffer): void => {
    bytes += block.length;
    if (tooLong) return;
    const s = decoder.write(block);
    parts.push(s);
    length += s.length;
    if (length > MAX_LINE_CHARS) {
      tooLong = true;
      const text = parts.join("").slice(0, MAX_SAMPLE_CHARS + 1);
      parts = [];
      overlong(text);
    }
  };
  let block = first;
  let size = TAIL_BLOCK;
  for (;;) {
    const nl = block.indexOf(NL);
    if (nl !== -1) {
      add(block.subarray(0, nl));
      position += nl + 1 - block.length;
      break;
    }
    add(block);
    block = readAt(fd, position, size);
    size = Math.min(TAIL_BLOCK_MAX, size * 4);
    position += block.length;
    if (block.length === 0) {
      if (bytes === 0) return position; // the file ends at a line end: no line left
      break;
    }
  }
  if (tooLong) {
    stats.lines++;
    return position;
  }
  const rest = decoder.end();
  if (rest) parts.push(rest);
  line(parts.join(""));
  return position;
}

/** Adds a chunk's counts to the file's, chunks in file order: sample line numbers become the file's. */
export function addChunkStats(total: TraceStats, chunk: ChunkCount): void {
  for (const s of chunk.badSamples) {
    if (total.badSamples.length >= MAX_BAD_SAMPLES) break;
    total.badSamples.push({ ...s, line: s.line + total.lines });
  }
  total.lines += chunk.lines;
  total.records += chunk.records;
  total.bad += chunk.bad;
}

/**
 * Reads a whole file chunk by chunk in this thread: the records and stats readTrace gives for it
 * (a reference for the threaded reader, and its tests).
 */
export function readFileByChunks(
  path: string, size: number, format: TraceFormat | "unknown", options: ReadTraceOptions = {}, chunkBytes = DEFAULT_CHUNK_BYTES,
): { records: TraceRecord[]; stats: TraceStats } {
  const stats: TraceStats = { format, lines: 0, records: 0, bad: 0, badSamples: [] };
  if (options.file !== undefined) stats.file = options.file;
  const records: TraceRecord[] = [];
  const fd = openSync(path, "r");
  try {
    const reader = chunkReader(fd, format, options);
    for (const [start, end] of chunkRanges(size, chunkBytes)) {
      const chunk = reader.read(start, end);
      addChunkStats(stats, chunk);
      for (const r of chunk.requests) records.push(r);
    }
  } finally {
    closeSync(fd);
  }
  return { records, stats };
}
