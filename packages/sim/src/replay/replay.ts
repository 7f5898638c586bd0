import { decide as realDecide, type Decision } from "@gwsim/core";
import { buildReport, newEngine, observe, type EngineConfig } from "./engine.js";
import { requestOf } from "./request-class.js";
import { traceBatches } from "../trace/index.js";
import type { DecideFn, Precision, Report, ReplayOptions, SplitMode, TraceRecord } from "./types.js";

/** `@gwsim/core`'s decide, typed for any world (the caller's world must be a core World). */
export function coreDecide<W>(): DecideFn<W> {
  return realDecide as unknown as DecideFn<W>;
}

const SPLIT_MODES = /^(random|wrr|cookie|hash:.*)$/;

/** Checks a split mode given as text (a CLI flag); returns it or an error message. */
export function parseSplitMode(text: string): { ok: true; split: SplitMode } | { ok: false; message: string } {
  if (!SPLIT_MODES.test(text)) return { ok: false, message: `unknown split mode ${JSON.stringify(text)}: random, wrr, cookie or hash:<key>` };
  if (text.startsWith("hash:")) {
    const problem = hashKeyProblem(text.slice(5));
    if (problem) return { ok: false, message: `${JSON.stringify(text)}: ${problem}` };
  }
  return { ok: true, split: text as SplitMode };
}

// RFC 9110 token: header and cookie names (RFC 6265 cookie-name is a token too).
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HASH_KEYS = "user, header:<name>, cookie:<name>, query:<name> or a header name";

/** Why a hash:<key> key names nothing a request carries (split.ts hashKeyOf reads it), or null. */
function hashKeyProblem(key: string): string | null {
  if (key === "user") return null;
  const kind = /^(header|cookie|query):/.exec(key)?.[1];
  const name = kind ? key.slice(kind.length + 1) : key;
  if (name === "") return `the ${kind ?? "hash"} key has no name (${HASH_KEYS})`;
  if (kind !== "query" && !TOKEN.test(name)) return `${JSON.stringify(name)} is not a ${kind ?? "header"} name (${HASH_KEYS})`;
  return null;
}

export function parsePrecision(text: string): { ok: true; precision: Precision } | { ok: false; message: string } {
  if (text === "exact" || text === "ngf" || text === "percent") return { ok: true, precision: text };
  return { ok: false, message: `unknown precision ${JSON.stringify(text)}: exact, ngf or percent` };
}

export function engineConfig(options: ReplayOptions<unknown>): EngineConfig {
  return { seed: options.seed ?? 0, split: options.split ?? "random", precision: options.precision ?? "exact" };
}

/**
 * Replay a trace against a world: every request is decided with (seed, index) and aggregated on
 * the fly, so memory does not grow with the trace. Same world, trace and options → same report.
 */
export async function replay<W>(
  world: W,
  requests: Iterable<TraceRecord> | AsyncIterable<TraceRecord>,
  options: ReplayOptions<W> = {},
): Promise<Report> {
  const decide = options.decide ?? coreDecide<W>();
  const config = engineConfig(options as ReplayOptions<unknown>);
  const engine = newEngine(config);
  let index = options.startIndex ?? 0;
  const every = options.progressEvery ?? 10_000;
  let seen = 0;
  const step = (record: TraceRecord): void => {
    const decision: Decision = decide(world, requestOf(record), { seed: config.seed, index, lean: true });
    observe(engine, index, record, decision);
    index++;
    if (options.onProgress && ++seen % every === 0) options.onProgress(seen);
  };
  // A plain loop for arrays and other sync iterables: `for await` would add a microtask per request;
  // a readTrace reader is read a chunk of records at a time for the same reason.
  const batches = traceBatches(requests);
  if (batches) {
    for await (const batch of batches) for (let i = 0; i < batch.length; i++) step(batch[i]!);
  } else if (Symbol.asyncIterator in requests) for await (const record of requests) step(record);
  else for (const record of requests) step(record);
  return buildReport([engine.state], config);
}

