/**
 * A replay worker thread: builds the world once, replays what it is sent, returns its state.
 * It is sent either batches of records with their first index, or (for a trace file) byte ranges
 * to read and parse itself: it reports each chunk's counts, keeps the chunk's records, and replays
 * them once the main thread has told it the chunk's first index.
 */
import { parentPort, workerData } from "node:worker_threads";
import { chunkReader, type ChunkCount } from "../trace/chunks.js";
import type { ReadTraceOptions, TraceFormat } from "../trace/types.js";
import { newEngine, observe, type AggState, type Engine, type EngineConfig } from "./engine.js";
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

async function main(): Promise<void> {
  const port = parentPort!;
  const init = workerData as WorkerInit;
  const send = (m: FromWorker): void => port.postMessage(m);
  try {
    const core = (await import(init.coreModule)) as {
      buildWorld: (objects: unknown[], options?: Record<string, unknown>) => unknown;
      decide: DecideFn<unknown>;
    };
    const world = core.buildWorld(init.objects, init.buildOptions);
    const engine: Engine = newEngine(init.config);
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
    port.on("message", (m: ToWorker) => {
      try {
        if (m.type === "batch") run(m.start, m.records);
        else if (m.type === "chunk") {
          if (!reader) throw new Error("chunk sent to a worker without a trace file");
          const { requests, ...count } = reader.read(m.start, m.end);
          parsed.set(m.chunk, requests);
          send({ type: "counted", chunk: m.chunk, ...count });
        } else if (m.type === "index") {
          const records = parsed.get(m.chunk);
          if (!records) throw new Error(`index for chunk ${m.chunk}, which this worker has not read`);
          parsed.delete(m.chunk);
          run(m.index, records);
        } else {
          send({ type: "state", state: engine.state });
        }
      } catch (e) {
        send({ type: "error", message: (e as Error).stack ?? String(e) });
      }
    });
    send({ type: "ready" });
  } catch (e) {
    send({ type: "error", message: (e as Error).stack ?? String(e) });
  }
}

void main();
