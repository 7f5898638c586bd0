/** A replay worker thread: builds the world once, replays the batches it is sent, returns its state. */
import { parentPort, workerData } from "node:worker_threads";
import { newEngine, observe, type AggState, type EngineConfig } from "./engine.js";
import { requestOf } from "./request-class.js";
import type { DecideFn, TraceRecord } from "./types.js";

export type ToWorker =
  | { type: "batch"; start: number; records: TraceRecord[] }
  | { type: "finish" };

export type FromWorker =
  | { type: "ready" }
  | { type: "done"; count: number }
  | { type: "state"; state: AggState }
  | { type: "error"; message: string };

export interface WorkerInit {
  coreModule: string;
  objects: unknown[];
  buildOptions: Record<string, unknown>;
  config: EngineConfig;
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
    const engine = newEngine(init.config);
    port.on("message", (m: ToWorker) => {
      try {
        if (m.type === "batch") {
          for (let i = 0; i < m.records.length; i++) {
            const index = m.start + i;
            const record = m.records[i]!;
            observe(engine, index, record, core.decide(world, requestOf(record), { seed: init.config.seed, index, lean: true }));
          }
          send({ type: "done", count: m.records.length });
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
