/**
 * Runs `gwsim serve` in-process (signals through an emitter instead of the process) and waits
 * for `gwsim: ready`, collecting what it prints.
 */
import { EventEmitter } from "node:events";
import { Readable } from "node:stream";
import type { Io } from "../../packages/sim/src/cli/io.js";
import { serveCommand } from "../../packages/sim/src/cli/serve.js";
import { nodeSource } from "../../packages/sim/src/load/manifests.js";

export interface RunningServe {
  stdout: () => string;
  stderr: () => string;
  signals: EventEmitter;
  /** Listener port → bound local port, from the `gwsim: listening` lines. */
  ports: Map<number, number>;
  admin: number | null;
  exit: Promise<number>;
  stop(): Promise<number>;
  /** Waits until stderr contains the text (bounded). */
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
}

export async function runServe(argv: string[], cwd = process.cwd(), readyMs = 10_000): Promise<RunningServe> {
  let out = "";
  let err = "";
  const signals = new EventEmitter();
  const io: Io = {
    ...nodeSource(cwd),
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    stdin: Readable.from([]),
    stderrIsTTY: false,
    env: {},
  };
  // Tests never wait the default 30 s for a drain.
  const args = argv.includes("--drain-timeout") ? argv : [...argv, "--drain-timeout", "5s"];
  const exit = serveCommand(args, io, { signals }).then((c) => c as number);
  let exited: number | null = null;
  let failed: unknown = null;
  exit.then(
    (c) => (exited = c),
    (e: unknown) => (failed = e),
  );
  const deadline = Date.now() + readyMs;
  while (!out.includes("gwsim: ready") && exited === null && failed === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  if (failed !== null) throw failed;
  const ports = new Map<number, number>();
  for (const m of err.matchAll(/gwsim: listening \S+ port (\d+) \(\w+\) on [^\s]+:(\d+)/g)) ports.set(Number(m[1]), Number(m[2]));
  const adminMatch = /admin on http:\/\/[^\s]+:(\d+)\//.exec(err);
  const running: RunningServe = {
    stdout: () => out,
    stderr: () => err,
    signals,
    ports,
    admin: adminMatch ? Number(adminMatch[1]) : null,
    exit,
    stop: async () => {
      signals.emit("SIGTERM");
      return exit;
    },
    waitFor: async (text, ms = 5000) => {
      const end = Date.now() + ms;
      const hit = () => (typeof text === "string" ? err.includes(text) : text.test(err));
      while (!hit() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      if (!hit()) throw new Error(`timed out waiting for ${String(text)} in stderr:\n${err}`);
    },
  };
  return running;
}
