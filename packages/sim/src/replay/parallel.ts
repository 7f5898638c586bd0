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
import { buildReport, newEngine, observe, type AggState } from "./engine.js";
import { engineConfig } from "./replay.js";
import { requestOf } from "./request-class.js";
import type { FromWorker, ToWorker, WorkerInit } from "./worker.js";
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
}

type CoreModule = { buildWorld: (objects: unknown[], options?: Record<string, unknown>) => unknown; decide: DecideFn<unknown> };

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
  if (!isChunkable(format)) return null;
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

function badLineWarnings(stats: TraceStats): string[] {
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
    return buildReport(states, config);
  } finally {
    await Promise.all(pool.map((w) => w.worker.terminate()));
  }
}

interface PoolWorker {
  id: number;
  worker: Worker;
  inflight: number;
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

async function startPool(n: number, init: WorkerInit): Promise<PoolWorker[]> {
  const pool: PoolWorker[] = [];
  const ready: Promise<void>[] = [];
  for (let id = 0; id < n; id++) {
    const w: PoolWorker = { id, worker: spawn(init), inflight: 0, waiting: [] };
    pool.push(w);
    ready.push(
      new Promise<void>((resolve, reject) => {
        const onFirst = (m: FromWorker): void => {
          w.worker.off("message", onFirst);
          if (m.type === "ready") resolve();
          else reject(new Error(`replay worker ${id} failed to start: ${m.type === "error" ? m.message : m.type}`));
        };
        w.worker.on("message", onFirst);
        w.worker.once("error", reject);
      }),
    );
  }
  try {
    await Promise.all(ready);
  } catch (e) {
    await Promise.all(pool.map((w) => w.worker.terminate()));
    throw e;
  }
  return pool;
}

async function runPool(pool: PoolWorker[], trace: Iterable<TraceRecord> | AsyncIterable<TraceRecord>, options: ParallelOptions): Promise<AggState[]> {
  let failure: Error | null = null;
  let freed: (() => void) | null = null;
  let processed = 0;
  let reported = 0;
  const every = options.progressEvery ?? 10_000;
  for (const w of pool) {
    w.worker.on("message", (m: FromWorker) => {
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
    });
    w.worker.on("error", (e) => {
      failure = e;
      freed?.();
    });
  }
  const maxInflight = 2;
  const dispatch = async (start: number, records: TraceRecord[]): Promise<void> => {
    for (;;) {
      if (failure) throw failure;
      // The least busy worker, lowest id first: which worker gets a batch does not change the result.
      let best: PoolWorker | null = null;
      for (const w of pool) if (w.inflight < maxInflight && (!best || w.inflight < best.inflight)) best = w;
      if (best) {
        best.inflight++;
        best.worker.postMessage({ type: "batch", start, records } satisfies ToWorker);
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
function collectStates(pool: PoolWorker[]): Promise<AggState[]> {
  return Promise.all(
    pool.map(
      (w) =>
        new Promise<AggState>((resolve, reject) => {
          w.waiting.push((m) => (m.type === "state" ? resolve(m.state) : reject(new Error(`replay worker ${w.id}: unexpected ${m.type}`))));
          w.worker.postMessage({ type: "finish" } satisfies ToWorker);
        }),
    ),
  );
}

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
  const pool = await startPool(Math.min(workerCount(options), ranges.length), init);
  try {
    const stats: TraceStats = { format: file.format, lines: 0, records: 0, bad: 0, badSamples: [] };
    if (file.options.file !== undefined) stats.file = file.options.file;
    await runChunks(pool, ranges, stats, options);
    return { report: buildReport(await collectStates(pool), config), stats };
  } finally {
    await Promise.all(pool.map((w) => w.worker.terminate()));
  }
}

/**
 * Hands out the chunks in file order, each to a worker holding fewer than CHUNKS_PER_WORKER. As
 * the counts come in, the longest run of counted chunks from the start gets its first indexes
 * (and its stats added to `stats`, in file order); a worker replays a chunk once told its index.
 */
function runChunks(pool: PoolWorker[], ranges: [number, number][], stats: TraceStats, options: ParallelOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const owner: PoolWorker[] = [];
    const counts: (ChunkCount | undefined)[] = [];
    let next = 0; // the next chunk to hand out
    let indexed = 0; // chunks before this one have their first index
    let index = 0; // records in those chunks
    let replayed = 0;
    let processed = 0;
    let reported = 0;
    const every = options.progressEvery ?? 10_000;
    let failed = false;
    const fail = (e: Error): void => {
      if (!failed) reject(e);
      failed = true;
    };
    const give = (w: PoolWorker, upTo = CHUNKS_PER_WORKER): void => {
      while (w.inflight < upTo && next < ranges.length) {
        const [start, end] = ranges[next]!;
        owner[next] = w;
        w.inflight++;
        w.worker.postMessage({ type: "chunk", chunk: next, start, end } satisfies ToWorker);
        next++;
      }
    };
    for (const w of pool) {
      w.worker.on("message", (m: FromWorker) => {
        if (failed) return;
        if (m.type === "counted") {
          const { chunk, lines, records, bad, badSamples } = m;
          counts[chunk] = { lines, records, bad, badSamples };
          for (let c = counts[indexed]; c !== undefined && indexed < ranges.length; c = counts[indexed]) {
            owner[indexed]!.worker.postMessage({ type: "index", chunk: indexed, index } satisfies ToWorker);
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
          if (replayed === ranges.length) resolve();
          else give(w);
        } else if (m.type === "error") fail(new Error(`replay worker ${w.id}: ${m.message}`));
        else w.waiting.shift()?.(m);
      });
      w.worker.on("error", fail);
      w.worker.on("exit", (code) => fail(new Error(`replay worker ${w.id} exited (code ${code})`)));
    }
    // Round robin at first, so that the first chunks are read side by side.
    for (let n = 1; n <= CHUNKS_PER_WORKER; n++) for (const w of pool) give(w, n);
  });
}
