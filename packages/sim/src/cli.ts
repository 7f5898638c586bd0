#!/usr/bin/env node
import { main } from "./cli/main.js";
import { nodeSource } from "./load/manifests.js";

const io = {
  ...nodeSource(),
  stdout: (text: string) => void process.stdout.write(text),
  stdoutDrained: () =>
    process.stdout.writableNeedDrain && !process.stdout.destroyed
      ? new Promise<void>((resolve) => {
          const done = (): void => {
            process.stdout.off("drain", done).off("close", done);
            resolve();
          };
          process.stdout.on("drain", done).on("close", done);
        })
      : Promise.resolve(),
  stderr: (text: string) => void process.stderr.write(text),
  stdin: process.stdin,
  stderrIsTTY: Boolean(process.stderr.isTTY),
  // The text reports' width (cli/sim-flags.ts textWidth): only a terminal has one.
  ...(process.stdout.isTTY && process.stdout.columns > 0 ? { stdoutColumns: process.stdout.columns } : {}),
  env: process.env,
};

// An EPIPE (output piped into `head`) ends the command quietly instead of with a stack trace.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
});

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`gwsim: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 2;
  },
);
