/**
 * A replay lane: builds the world once, replays what it is sent, returns its state. It runs in a
 * worker thread (worker.ts) or in the main thread beside the workers (parallel.ts).
 *
 * It is sent either batches of records with their first index, or (for a trace file) byte ranges
 * to read and parse itself: it reports each chunk's counts, keeps the chunk's records, and replays
 * them once told the chunk's first index.
 */
import { chunkReader, type ChunkCount } from "../trace/chunks.js";
import type { ReadTraceOptions, TraceFormat } from "../trace/types.js";
import { newEngine, observe, type AggState, type EngineConfig } from "./engine.js";
import { requestOf } from "./request-class.js";
import type { DecideFn, TraceRecord } from "./types.js";

export type ToWorker =
  | { type: "batch"; start: number; records: TraceRecord[] }
  /** Read and parse the lines that start in bytes [start, end) of the file; answered by `counted`. */
  | { type: "chunk"; chunk: number; start: number; end: number }
  /** The chunk's first record is the trace's record number `index`: replay it; answered by `done`. */
  | { type: "index"; chunk: number; index: number }
  | { type: "finish" };

export type FromWorker =
  | { type: "ready" }
  | { type: "done"; count: number }
  | ({ type: "counted"; chunk: number } & ChunkCount)
  | { type: "state"; state: AggState }
  | { type: "error"; message: string };

export interface WorkerInit {
  coreModule: string;
  objects: unknown[];
  buildOptions: Record<string, unknown>;
  config: EngineConfig;
  /** The trace file the chunks come from: a descriptor opened (and closed) by the main thread. */
  file?: { fd: number; format: TraceFormat | "unknown"; options: ReadTraceOptions };
}

export interface CoreModule {
  buildWorld: (objects: unknown[], options?: Record<string, unknown>) => unknown;
  decide: DecideFn<unknown>;
}

/** Builds the world and gives the handler of the lane's messages; answers go to `send`. */
export function laneHandler(init: WorkerInit, core: CoreModule, send: (m: FromWorker) => void): (m: ToWorker) => void {
  const world = core.buildWorld(init.objects, init.buildOptions);
  const engine = newEngine(init.config);
  const run = (start: number, records: TraceRecord[]): void => {
    for (let i = 0; i < records.length; i++) {
      const index = start + i;
      const record = records[i]!;
      observe(engine, index, record, core.decide(world, requestOf(record), { seed: init.config.seed, index, lean: true }));
    }
    send({ type: "done", count: records.length });
  };
  const reader = init.file ? chunkReader(init.file.fd, init.file.format, init.file.options) : undefined;
  const parsed = new Map<number, TraceRecord[]>(); // chunks read, waiting for their first index
  return (m) => {
    try {
      if (m.type === "batch") run(m.start, m.records);
      else if (m.type === "chunk") {
        if (!reader) throw new Error("chunk sent to a lane without a trace file");
        const { requests, ...count } = reader.read(m.start, m.end);
        parsed.set(m.chunk, requests);
        send({ type: "counted", chunk: m.chunk, ...count });
      } else if (m.type === "index") {
        const records = parsed.get(m.chunk);
        if (!records) throw new Error(`index for chunk ${m.chunk}, which this lane has not read`);
        parsed.delete(m.chunk);
        run(m.index, records);
      } else {
        send({ type: "state", state: engine.state });
      }
    } catch (e) {
      send({ type: "error", message: (e as Error).stack ?? String(e) });
    }
  };
}
