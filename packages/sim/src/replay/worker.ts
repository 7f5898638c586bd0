/** A replay worker thread: one lane (lane.ts) on the thread's port. */
import { parentPort, workerData } from "node:worker_threads";
import { laneHandler, type CoreModule, type FromWorker, type ToWorker, type WorkerInit } from "./lane.js";

export type { FromWorker, ToWorker, WorkerInit } from "./lane.js";

async function main(): Promise<void> {
  const port = parentPort!;
  const init = workerData as WorkerInit;
  const send = (m: FromWorker): void => port.postMessage(m);
  try {
    const handle = laneHandler(init, (await import(init.coreModule)) as CoreModule, send);
    port.on("message", (m: ToWorker) => handle(m));
    send({ type: "ready" });
  } catch (e) {
    send({ type: "error", message: (e as Error).stack ?? String(e) });
  }
}

void main();
