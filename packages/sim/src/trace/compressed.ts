/**
 * Compressed traces, told by their first bytes (not their names: `kubectl logs | gzip` has none):
 * gzip is read through zlib as it streams (rotated access logs are `access.log.2.gz`); the other
 * common formats are named in a problem, since Node 20's zlib cannot read them.
 */
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";

const GZIP = [0x1f, 0x8b];

/** Formats recognised only to say so: magic bytes, name, the command that decompresses them. */
const OTHERS: { magic: number[]; name: string; command: string }[] = [
  { magic: [0x28, 0xb5, 0x2f, 0xfd], name: "zstd", command: "zstd -dc" },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: "xz", command: "xz -dc" },
  { magic: [0x42, 0x5a, 0x68], name: "bzip2", command: "bzip2 -dc" },
  { magic: [0x50, 0x4b, 0x03, 0x04], name: "zip", command: "unzip -p" },
];

const HEAD_BYTES = 6;

const startsWith = (head: Uint8Array, magic: readonly number[]): boolean => head.length >= magic.length && magic.every((b, i) => head[i] === b);

/** The compression a trace's first bytes show: "gzip", another format's name, or null. */
export function compressionOf(head: Uint8Array): string | null {
  if (startsWith(head, GZIP)) return "gzip";
  return OTHERS.find((o) => startsWith(head, o.magic))?.name ?? null;
}

/** What to tell a user whose trace is compressed in a format gwsim does not read. */
export function unsupportedCompression(name: string): string {
  const command = OTHERS.find((o) => o.name === name)?.command ?? "decompress";
  return `the trace is ${name}-compressed, and gwsim reads gzip only: decompress it first (${command} FILE | gwsim ... --trace -)`;
}

/**
 * The input's bytes, gunzipped when it starts as gzip (several members, as `cat a.gz b.gz`
 * makes, are read one after the other). Corrupt or cut-off gzip data ends the input where it
 * goes wrong and is told to `onProblem` (what came before it is kept); so is a compression gwsim
 * does not read (then nothing is passed on). Anything else passes through unchanged.
 */
export async function* decompressed(input: AsyncIterable<string | Uint8Array>, onProblem: (reason: string) => void): AsyncGenerator<string | Uint8Array> {
  const it = input[Symbol.asyncIterator]();
  const held: Uint8Array[] = [];
  let heldBytes = 0;
  let text: string | undefined;
  while (heldBytes < HEAD_BYTES) {
    const next = await it.next();
    if (next.done) break;
    if (typeof next.value === "string") {
      text = next.value;
      break;
    }
    held.push(next.value);
    heldBytes += next.value.length;
  }
  const rest = async function* (): AsyncGenerator<string | Uint8Array> {
    for (const chunk of held) yield chunk;
    if (text !== undefined) yield text;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  };
  const head = held.length === 1 ? held[0]! : Buffer.concat(held);
  const kind = text === undefined || held.length > 0 ? compressionOf(head) : null;
  if (kind === null) {
    yield* rest();
    return;
  }
  if (kind !== "gzip") {
    await it.return?.();
    onProblem(unsupportedCompression(kind));
    return;
  }
  const gunzip = createGunzip();
  const source = Readable.from(rest(), { objectMode: false });
  source.on("error", (e) => gunzip.destroy(e));
  source.pipe(gunzip);
  let out = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      out += chunk.length;
      yield chunk;
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // The input's own errors (an unreadable file) are not the data's: they reject as before.
    if (err.code === undefined || !err.code.startsWith("Z_")) throw e;
    const why = err.code === "Z_BUF_ERROR" ? "the gzip data ends early (a file cut off, or still being written)" : `the gzip data is corrupt (${err.message})`;
    onProblem(`${why} after ${out} decompressed bytes; what came before was read`);
  } finally {
    source.destroy();
  }
}
