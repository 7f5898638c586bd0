import { Readable } from "node:stream";
import { main } from "../../packages/sim/src/cli/main.js";
import type { Io } from "../../packages/sim/src/cli/io.js";
import { nodeSource } from "../../packages/sim/src/load/manifests.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs gwsim in-process with captured output: commands are tested without spawning. */
export async function runCli(argv: string[], options: { cwd?: string; stdin?: string } = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const source = nodeSource(options.cwd ?? process.cwd());
  const stdin = Readable.from([options.stdin ?? ""]);
  const io: Io = {
    ...source,
    readStdin: async () => options.stdin ?? "",
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stdin,
    stderrIsTTY: false,
    env: {},
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
