/**
 * Replay on worker threads. Draws depend only on (seed, index), and the cookie and hash modes only
 * on the request, so the report is the same for any number of workers; the workers' states merge
 * exactly.
 *
 * A trace FILE in a line format (jsonl, envoy, nginx, haproxy) is read by the workers themselves:
 * each parses byte-range chunks of it (trace/chunks.ts) and reports their counts; the main thread
 * adds the counts up in file order, which gives each chunk the index of its first record, and the
 * worker then replays the chunk it kept. Nothing is copied between threads per record. Other
 * traces (records, stdin, CSV, HAR) are read by the main thread and sent in batches of
 * consecutive indexes.
 *
 * `wrr` is order-dependent (each pick depends on every earlier pick of its split), so it is
 * replayed in one thread, in trace order, whatever `workers` says; the report says so.
 */
import { Worker } from "node:worker_threads";
import { closeSync, createReadStream, fstatSync, openSync, statSync } from "node:fs";
import { readTrace, traceBatches, traceFormat } from "../trace/index.js";
import { addChunkStats, chunkRanges, DEFAULT_CHUNK_BYTES, isChunkable, type ChunkCount } from "../trace/chunks.js";
import type { ReadTraceOptions, TraceFormat, TraceReader, TraceStats } from "../trace/types.js";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { dirname, join } from "node:path";
import { buildReport, mergeStates, newEngine, newState, observe, type AggState, type EngineConfig } from "./engine.js";
import { engineConfig } from "./replay.js";
import { requestOf } from "./request-class.js";
import { laneHandler, type CoreModule, type FromWorker, type ToWorker, type WorkerInit } from "./lane.js";
import type { DecideFn, Report, ReplayOptions, TraceRecord } from "./types.js";

export interface ParallelOptions extends Omit<ReplayOptions<unknown>, "decide" | "startIndex"> {
  /** Worker threads; 1 (or fewer) replays in this thread. Default: available cores, at most 8. */
  workers?: number;
  /** Module exporting `buildWorld` and `decide` (default `@gwsim/core`); tests pass a fake. */
  coreModule?: string;
  /** Passed to buildWorld, e.g. `{ controllerName }`. */
  buildOptions?: Record<string, unknown>;
  /** Requests per batch sent to a worker (traces the main thread reads). */
  batchSize?: number;
  /** Bytes per chunk of a trace file the workers read themselves (default 4 MiB). */
  chunkBytes?: number;
  /** How to read `trace` when it is a file path (format, defaults for nginx logs, ...). */
  traceOptions?: ReadTraceOptions;
  /**
   * For a trace file read by chunks: hand out chunks only once every thread is ready, so that
   * every lane takes part (tests). By default this thread starts alone and threads join when ready.
   */
  startTogether?: boolean;
}

const ORDER_DEPENDENT_WARNING = "split mode wrr is order-dependent: replayed in one thread in trace order (workers ignored)";

async function loadCore(specifier: string): Promise<CoreModule> {
  return (await import(specifier)) as CoreModule;
}

/**
 * Replay the given manifest objects over a trace on `workers` threads. `trace` is a file path
 * (read as readTrace reads it; unreadable lines are skipped and summed up in the warnings) or records.
 */
export async function replayParallel(
  objects: readonly unknown[],
  trace: string | Iterable<TraceRecord> | AsyncIterable<TraceRecord>,
  options: ParallelOptions = {},
): Promise<Report> {
  if (typeof trace === "string") {
    const { report, stats } = await replayTraceFile(objects, trace, options);
    report.warnings.push(...badLineWarnings(stats));
    return report;
  }
  return replayRecords(objects, trace, options);
}

/**
 * Replays a trace file (`path`), and gives the report and the trace's stats: exactly what readTrace
 * gives for the file (lines, records, bad lines and their first samples). A regular file in a line
 * format is read in chunks by the workers; anything else by this thread.
 */
export async function replayTraceFile(
  objects: readonly unknown[],
  path: string,
  options: ParallelOptions = {},
): Promise<{ report: Report; stats: TraceStats }> {
  const traceOptions: ReadTraceOptions = { file: path, ...options.traceOptions };
  if (workerCount(options) > 1 && engineConfig(options).split !== "wrr") {
    const file = await openChunkable(path, traceOptions);
    if (file) {
      try {
        return await replayChunks(objects, file, options);
      } finally {
        closeSync(file.fd);
      }
    }
  }
  const reader = readTrace(createReadStream(path), traceOptions);
  const report = await replayRecords(objects, reader, options);
  return { report, stats: reader.stats };
}

interface ChunkableFile {
  fd: number;
  size: number;
  format: TraceFormat | "unknown";
  options: ReadTraceOptions;
}

/**
 * Opens `path` when it is a non-empty regular file in a line format (detected as readTrace
 * detects it); null otherwise, or when it cannot be opened (then readTrace reports the error).
 */
async function openChunkable(path: string, options: ReadTraceOptions): Promise<ChunkableFile | null> {
  // stat before open: opening a named pipe would wait for a writer.
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat?.isFile() || stat.size === 0) return null;
  let format: TraceFormat | "unknown";
  try {
    format = await traceFormat(createReadStream(path), options);
  } catch {
    return null;
  }
  if (!isChunkable(format, path)) return null;
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return null;
  }
  return { fd, size: fstatSync(fd).size, format, options };
}

function workerCount(options: ParallelOptions): number {
  return Math.max(1, Math.floor(options.workers ?? Math.min(8, availableParallelism())));
}

/** The report warning for a trace's unreadable lines (none when every line was read). */
export function badLineWarnings(stats: TraceStats): string[] {
  if (stats.bad === 0) return [];
  const first = stats.badSamples[0];
  return [
    `${stats.file ?? "trace"}: ${stats.bad} of ${stats.lines} lines could not be read and were skipped` +
      (first ? ` (first at line ${first.line}: ${first.reason})` : ""),
  ];
}

async function replayRecords(
  objects: readonly unknown[],
  trace: Iterable<TraceRecord> | AsyncIterable<TraceRecord>,
  options: ParallelOptions,
): Promise<Report> {
  const config = engineConfig(options);
  const coreModule = options.coreModule ?? "@gwsim/core";
  const workers = workerCount(options);
  if (workers === 1 || config.split === "wrr") {
    const core = await loadCore(coreModule);
    const world = core.buildWorld([...objects], options.buildOptions ?? {});
    const engine = newEngine(config);
    let index = 0;
    const step = (record: TraceRecord): void => {
      observe(engine, index, record, core.decide(world, requestOf(record), { seed: config.seed, index, lean: true }));
      index++;
      if (options.onProgress && index % (options.progressEvery ?? 10_000) === 0) options.onProgress(index);
    };
    const batches = traceBatches(trace);
    if (batches) {
      for await (const batch of batches) for (let i = 0; i < batch.length; i++) step(batch[i]!);
    } else for await (const record of trace) step(record);
    const report = buildReport([engine.state], config);
    if (workers > 1) report.warnings.push(ORDER_DEPENDENT_WARNING);
    return report;
  }
  const init: WorkerInit = { coreModule, objects: [...objects], buildOptions: options.buildOptions ?? {}, config };
  const pool = await startPool(workers, init);
  try {
    const states = await runPool(pool, trace, options);
    return buildReport([mergedInPlace(states, config)], config);
  } finally {
    await Promise.all(pool.map((w) => w.stop()));
  }
}

/** Where replay work goes: a worker thread, or this thread (localLane). */
interface Lane {
  id: number;
  /** Resolves once the lane has built its world; rejects if it cannot start. */
  ready: Promise<void>;
  post(m: ToWorker): void;
  /** Where the lane's messages go once it is ready, and its failures (a thread's error or exit). */
  listen(onMessage: (m: FromWorker) => void, onFailure: (e: Error) => void): void;
  stop(): Promise<unknown>;
  /** Work handed to it and not yet done (batches or chunks). */
  inflight: number;
  /** Callers waiting for its next answer that is not `done`, `counted` or `error` (its state). */
  waiting: ((m: FromWorker) => void)[];
}

function spawn(init: WorkerInit): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(new URL("./worker.js", here), { workerData: init });
  // Running from TypeScript sources (tests, tsx): register tsx inside the worker before loading it.
  const require = createRequire(here);
  const tsxPackage = require.resolve("tsx/package.json");
  const api = (require(tsxPackage) as { exports: Record<string, { import?: { default?: string } }> }).exports["./esm/api"]?.import?.default;
  const tsx = pathToFileURL(join(dirname(tsxPackage), api ?? "dist/esm/api/index.mjs")).href;
  const entry = new URL("./worker.ts", here).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => (m.register ?? m.default.register)()).then(() => import(${JSON.stringify(entry)}));`;
  return new Worker(boot, { eval: true, workerData: init, execArgv: ["--conditions=development"] });
}

function threadLane(id: number, init: WorkerInit): Lane {
  const worker = spawn(init);
  let onMessage: (m: FromWorker) => void = () => {};
  let onFailure: (e: Error) => void = () => {};
  let started = false;
  let stopping = false;
  const ready = new Promise<void>((resolve, reject) => {
    const failed = (e: Error): void => {
      if (started) onFailure(e);
      else {
        started = true;
        reject(e);
      }
    };
    worker.on("message", (m: FromWorker) => {
      if (started) return onMessage(m);
      started = true;
      if (m.type === "ready") resolve();
      else reject(new Error(`replay worker ${id} failed to start: ${m.type === "error" ? m.message : m.type}`));
    });
    worker.on("error", failed);
    worker.on("exit", (code) => stopping || failed(new Error(`replay worker ${id} exited (code ${code})`)));
  });
  ready.catch(() => {}); // seen by whoever awaits it; a lane no one waited for is stopped
  return {
    id,
    ready,
    post: (m) => worker.postMessage(m),
    listen(message, failure) {
      onMessage = message;
      onFailure = failure;
    },
    stop: () => {
      stopping = true;
      return worker.terminate();
    },
    inflight: 0,
    waiting: [],
  };
}

/**
 * A lane in this thread, for a trace file the threads read themselves: this thread is mostly idle
 * then, and a lane here costs no thread start. It handles one message per macrotask, so that the
 * threads' messages are handled in between.
 */
async function localLane(id: number, init: WorkerInit): Promise<Lane> {
  let onMessage: (m: FromWorker) => void = () => {};
  const handle = laneHandler(init, await loadCore(init.coreModule), (m) => onMessage(m));
  const queue: ToWorker[] = [];
  let scheduled = false;
  let stopped = false;
  const drain = (): void => {
    scheduled = false;
    const m = queue.shift();
    if (stopped || !m) return;
    handle(m);
    if (queue.length) schedule();
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(drain);
  };
  return {
    id,
    ready: Promise.resolve(),
    post(m) {
      queue.push(m);
      schedule();
    },
    listen(message) {
      onMessage = message;
    },
    stop: async () => {
      stopped = true;
      queue.length = 0;
    },
    inflight: 0,
    waiting: [],
  };
}

async function startPool(n: number, init: WorkerInit): Promise<Lane[]> {
  const pool = Array.from({ length: n }, (_, id) => threadLane(id, init));
  try {
    await Promise.all(pool.map((w) => w.ready));
  } catch (e) {
    await Promise.all(pool.map((w) => w.stop()));
    throw e;
  }
  return pool;
}

async function runPool(pool: Lane[], trace: Iterable<TraceRecord> | AsyncIterable<TraceRecord>, options: ParallelOptions): Promise<AggState[]> {
  let failure: Error | null = null;
  let freed: (() => void) | null = null;
  let processed = 0;
  let reported = 0;
  const every = options.progressEvery ?? 10_000;
  for (const w of pool) {
    w.listen((m) => {
      if (m.type === "done") {
        w.inflight--;
        processed += m.count;
        if (options.onProgress && processed - reported >= every) {
          reported = processed - (processed % every);
          options.onProgress(processed);
        }
        freed?.();
      } else if (m.type === "error") {
        failure = new Error(`replay worker ${w.id}: ${m.message}`);
        freed?.();
      } else {
        w.waiting.shift()?.(m);
      }
    }, (e) => {
      failure = e;
      freed?.();
    });
  }
  const maxInflight = 2;
  const dispatch = async (start: number, records: TraceRecord[]): Promise<void> => {
    for (;;) {
      if (failure) throw failure;
      // The least busy worker, lowest id first: which worker gets a batch does not change the result.
      let best: Lane | null = null;
      for (const w of pool) if (w.inflight < maxInflight && (!best || w.inflight < best.inflight)) best = w;
      if (best) {
        best.inflight++;
        best.post({ type: "batch", start, records });
        return;
      }
      await new Promise<void>((resolve) => (freed = resolve));
      freed = null;
    }
  };
  const batchSize = options.batchSize ?? 2000;
  let batch: TraceRecord[] = [];
  let start = 0;
  let index = 0;
  /** Adds a record; true when the batch is full. */
  const add = (record: TraceRecord): boolean => {
    batch.push(record);
    index++;
    return batch.length === batchSize;
  };
  const flush = async (): Promise<void> => {
    await dispatch(start, batch);
    batch = [];
    start = index;
  };
  // A readTrace reader gives a chunk of records per await (traceBatches), not one.
  const chunks = traceBatches(trace);
  if (chunks) {
    for await (const records of chunks) for (const record of records) if (add(record)) await flush();
  } else for await (const record of trace) if (add(record)) await flush();
  if (batch.length) await dispatch(start, batch);
  while (pool.some((w) => w.inflight > 0)) {
    if (failure) throw failure;
    await new Promise<void>((resolve) => (freed = resolve));
    freed = null;
  }
  if (failure) throw failure;
  return collectStates(pool);
}

/** Each worker's aggregate state, once its work is done. */
function collectStates(pool: Lane[]): Promise<AggState[]> {
  return Promise.all(
    pool.map(
      (w) =>
        new Promise<AggState>((resolve, reject) => {
          w.waiting.push((m) => (m.type === "state" ? resolve(m.state) : reject(new Error(`replay worker ${w.id}: unexpected ${m.type}`))));
          w.post({ type: "finish" });
        }),
    ),
  );
}

/** A lane per this many chunks at most (32 MiB with the default chunks): smaller traces are done before a thread is up. */
const MIN_CHUNKS_PER_LANE = 8;

/** Chunks a worker holds at most (being read, read and waiting for their index, or being replayed): bounds memory. */
const CHUNKS_PER_WORKER = 2;

async function replayChunks(objects: readonly unknown[], file: ChunkableFile, options: ParallelOptions): Promise<{ report: Report; stats: TraceStats }> {
  const config = engineConfig(options);
  const ranges = chunkRanges(file.size, options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
  const init: WorkerInit = {
    coreModule: options.coreModule ?? "@gwsim/core",
    objects: [...objects],
    buildOptions: options.buildOptions ?? {},
    config,
    file: { fd: file.fd, format: file.format, options: file.options },
  };
  // This thread is one of the lanes: the threads start (load the core, build the world) while
  // it builds its own world and starts on the first chunks; each thread joins when ready. A thread
  // costs about a second of CPU to start: one per MIN_CHUNKS_PER_LANE chunks at most.
  const lanes = Math.min(workerCount(options), Math.ceil(ranges.length / MIN_CHUNKS_PER_LANE));
  const threads = Array.from({ length: lanes - 1 }, (_, i) => threadLane(i + 1, init));
  try {
    const local = await localLane(0, init);
    const stats: TraceStats = { format: file.format, lines: 0, records: 0, bad: 0, badSamples: [] };
    if (file.options.file !== undefined) stats.file = file.options.file;
    const joined = await runChunks([local, ...threads], ranges, stats, options);
    return { report: buildReport([mergedInPlace(await collectStates(joined), config)], config), stats };
  } finally {
    await Promise.all(threads.map((w) => w.stop()));
  }
}

/**
 * Hands out the chunks in file order, each to a ready lane holding fewer than CHUNKS_PER_WORKER.
 * As the counts come in, the longest run of counted chunks from the start gets its first indexes
 * (and its stats are added to `stats`, in file order); a lane replays a chunk once told its index.
 * Resolves with the lanes that joined, once every chunk is replayed.
 */
function runChunks(lanes: Lane[], ranges: [number, number][], stats: TraceStats, options: ParallelOptions): Promise<Lane[]> {
  return new Promise<Lane[]>((resolve, reject) => {
    const joined: Lane[] = [];
    const owner: Lane[] = [];
    const counts: (ChunkCount | undefined)[] = [];
    let next = 0; // the next chunk to hand out
    let indexed = 0; // chunks before this one have their first index
    let index = 0; // records in those chunks
    let replayed = 0;
    let processed = 0;
    let reported = 0;
    const every = options.progressEvery ?? 10_000;
    let settled = false;
    const fail = (e: Error): void => {
      if (!settled) reject(e);
      settled = true;
    };
    const give = (w: Lane, upTo = CHUNKS_PER_WORKER): void => {
      while (w.inflight < upTo && next < ranges.length) {
        const [start, end] = ranges[next]!;
        owner[next] = w;
        w.inflight++;
        w.post({ type: "chunk", chunk: next, start, end });
        next++;
      }
    };
    const onMessage = (w: Lane, m: FromWorker): void => {
      if (settled && m.type !== "state") return;
      if (m.type === "counted") {
        const { chunk, lines, records, bad, badSamples } = m;
        counts[chunk] = { lines, records, bad, badSamples };
        for (let c = counts[indexed]; c !== undefined; c = counts[indexed]) {
          owner[indexed]!.post({ type: "index", chunk: indexed, index });
          index += c.records;
          addChunkStats(stats, c);
          counts[indexed] = undefined;
          indexed++;
        }
      } else if (m.type === "done") {
        w.inflight--;
        replayed++;
        processed += m.count;
        if (options.onProgress && processed - reported >= every) {
          reported = processed - (processed % every);
          options.onProgress(processed);
        }
        if (replayed === ranges.length) {
          settled = true;
          resolve(joined);
        } else give(w);
      } else if (m.type === "error") fail(new Error(`replay worker ${w.id}: ${m.message}`));
      else w.waiting.shift()?.(m);
    };
    const gate = options.startTogether ? Promise.all(lanes.map((w) => w.ready)) : undefined;
    for (const w of lanes) {
      (gate ? gate : w.ready).then(
        () => {
          if (settled) return;
          joined.push(w);
          w.listen((m) => onMessage(w, m), fail);
          // Two rounds for the lanes ready at the start, so that the first chunks are read side by side.
          give(w, 1);
          queueMicrotask(() => settled || give(w));
        },
        fail,
      );
    }
  });
}

/**
 * The lanes' states added into the largest one (they are this replay's own copies): buildReport
 * would copy every state into a fresh one. The report does not depend on the order.
 */
function mergedInPlace(states: AggState[], config: EngineConfig): AggState {
  const sorted = [...states].sort((a, b) => b.requests - a.requests);
  return sorted.slice(1).reduce((into, from) => mergeStates(into, from), sorted[0] ?? newState(config));
}
