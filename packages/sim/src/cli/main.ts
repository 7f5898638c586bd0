import { createRequire } from "node:module";
import { explainCommand, explainSpec } from "./explain.js";
import { helpText, wrapUsage, type CommandSpec } from "./flags.js";
import { wrap } from "./render-decision.js";
import { PathError, UsageError, type ExitCode, type Io } from "./io.js";
import { routeCommand, routeSpec } from "./route.js";
import { statusCommand, statusSpec } from "./status.js";
import { validateCommand, validateSpec } from "./validate.js";
import { replayCommand, replaySpec } from "./replay.js";
import { synthCommand, synthSpec } from "./synth.js";
import { whatifCommand, whatifSpec } from "./whatif.js";
import { serveCommand, serveSpec } from "./serve.js";
import { lintCommand, lintSpec } from "./lint.js";

export interface Command {
  spec: CommandSpec;
  run(argv: string[], io: Io): Promise<ExitCode>;
}

/** Every gwsim command, in the order `gwsim --help` lists them. */
export const COMMANDS: Command[] = [
  { spec: validateSpec, run: validateCommand },
  { spec: statusSpec, run: statusCommand },
  { spec: routeSpec, run: routeCommand },
  { spec: explainSpec, run: explainCommand },
  { spec: lintSpec, run: lintCommand },
  { spec: replaySpec, run: replayCommand },
  { spec: whatifSpec, run: whatifCommand },
  { spec: synthSpec, run: synthCommand },
  { spec: serveSpec, run: serveCommand },
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length));
  return [
    "gwsim: simulate Kubernetes Gateway API routing from your manifests",
    "",
    "usage: gwsim <command> [options]   (gwsim <command> --help for its options)",
    "",
    "commands:",
    ...COMMANDS.flatMap((c) => wrap(c.spec.summary, `  ${c.spec.name.padEnd(width)}  `, " ".repeat(width + 4))),
    "",
  ].join("\n");
}

export function version(): string {
  const require = createRequire(import.meta.url);
  return (require("../../package.json") as { version: string }).version;
}

/** Runs one gwsim invocation; returns the exit code. Never throws: bugs are reported, not stack-dumped. */
export async function main(argv: string[], io: Io): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    const wanted = name === "help" ? COMMANDS.find((c) => c.spec.name === rest[0]) : undefined;
    io.stdout(wanted ? helpText(wanted.spec) : usage());
    return 0;
  }
  if (name === "--version" || name === "-v") {
    io.stdout(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) {
    io.stderr(`gwsim: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout(helpText(command.spec));
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof PathError) {
      io.stderr(`gwsim: ${e.message}\n`);
      return 2;
    }
    if (e instanceof UsageError) {
      io.stderr(`gwsim: ${e.message}\n${wrapUsage(command.spec.usage).join("\n")}\n`);
      return 2;
    }
    const err = e as Error;
    io.stderr(`gwsim: internal error in ${name}: ${err?.message ?? String(e)} (this is a bug in gwsim; set GWSIM_DEBUG=1 for details)\n`);
    if (io.env.GWSIM_DEBUG) io.stderr(`${err?.stack ?? ""}\n`);
    return 2;
  }
}
