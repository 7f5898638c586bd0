/**
 * Replay on worker threads. The main thread reads the trace and hands out batches of
 * consecutive indexes; each worker decides with (seed, index) and aggregates; the states merge
 * exactly. Draws depend only on (seed, index), and the cookie and hash modes only on the request,
 * so the report is the same for any number of workers.
 *
 * `wrr` is order-dependent (each pick depends on every earlier pick of its split), so it is
 * replayed in one thread, in trace order, whatever `workers` says; the report says so.
 */
import { Worker } from "node:worker_threads";
import { createReadStream } from "node:fs";
import { readTrace, traceBatches } from "../trace/index.js";
import type { ReadTraceOptions, TraceReader } from "../trace/types.js";
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
  /** Requests per batch sent to a worker. */
  batchSize?: number;
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
 * (read with readTrace; unreadable lines are skipped and summed up in the warnings) or records.
 */
export async function replayParallel(
  objects: readonly unknown[],
  trace: string | Iterable<TraceRecord> | AsyncIterable<TraceRecord>,
  options: ParallelOptions = {},
): Promise<Report> {
  if (typeof trace === "string") {
    const reader = readTrace(createReadStream(trace), { file: trace, ...options.traceOptions });
    const report = await replayRecords(objects, reader, options);
    report.warnings.push(...badLineWarnings(reader));
    return report;
  }
  return replayRecords(objects, trace, options);
}

function badLineWarnings(reader: TraceReader): string[] {
  const { stats } = reader;
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
  const workers = Math.max(1, Math.floor(options.workers ?? Math.min(8, availableParallelism())));
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
