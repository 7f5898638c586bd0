import { decide } from "@gwsim/core";
import { entryDefaults, FILE_FLAG, loadWorld, withDefaults, WORLD_FLAGS } from "./common.js";
import { intFlag, parseFlags, type CommandSpec } from "./flags.js";
import { UsageError, type ExitCode, type Io } from "./io.js";
import { decisionSummary, renderExplained, requestLine } from "./render-decision.js";
import { readTrace } from "../trace/index.js";
import { checkInput, openInput } from "./paths.js";

export const routeSpec: CommandSpec = {
  name: "route",
  summary: "decide where each request goes (one decision per request, in order)",
  usage: "gwsim route -f MANIFESTS --requests FILE|- [--seed N] [--json] [--explain]",
  description:
    "Reads requests as JSON Lines (CONTRACT's request shape) and writes one decision per request. A request without " +
    "an entry point goes to --gateway, or to the only Gateway when there is one. Lines that are not requests are " +
    "reported on stderr with their line number and skipped.",
  flags: [
    FILE_FLAG,
    { name: "requests", short: "r", type: "string", value: "FILE|-", description: "JSON Lines of requests (- for stdin)", stdin: true },
    { name: "seed", type: "string", value: "N", description: "seed of the weighted draw (default 1)" },
    { name: "json", type: "boolean", description: "JSON Lines of decisions instead of a table" },
    { name: "explain", type: "boolean", description: "add the explanation of each decision" },
    { name: "gateway", type: "string", value: "NS/NAME", description: "entry point for requests that name none" },
    ...WORLD_FLAGS,
  ],
  examples: ["gwsim route -f manifests/ --requests requests.jsonl --json", "echo '{\"host\":\"a.example.com\",\"path\":\"/\"}' | gwsim route -f gw.yaml --requests - --explain"],
};

/** Decisions written between waits for stdout to drain. */
const DRAIN_EVERY = 256;

export async function routeCommand(argv: string[], io: Io): Promise<ExitCode> {
  const { values } = parseFlags(routeSpec, argv);
  const seed = intFlag(values, "seed", 1);
  if (typeof values.requests !== "string") throw new UsageError("--requests FILE|- is required");
  if (values.requests !== "-") await checkInput(io, values.requests);
  const world = await loadWorld(values, io);
  if (!world) return 2;
  const defaults = entryDefaults(world, typeof values.gateway === "string" ? values.gateway : undefined);
  const input: AsyncIterable<string | Uint8Array> = values.requests === "-" ? io.stdin : await openInput(io, values.requests);
  const reader = readTrace(input, { format: "jsonl", file: values.requests === "-" ? "<stdin>" : values.requests });
  let index = 0;
  for await (const record of reader) {
    const request = withDefaults(record, defaults);
    const d = decide(world, request, { seed, index: index++, explain: Boolean(values.explain) });
    if (values.json) io.stdout(`${JSON.stringify(d)}\n`);
    else if (values.explain) io.stdout(renderExplained(request, d));
    else io.stdout(`${idText(d.id, index).padEnd(16)} ${requestLine(request).padEnd(48)} ${decisionSummary(d)}\n`);
    // A slow reader (a pipe into less) must not make the whole output pile up in memory.
    if (index % DRAIN_EVERY === 0 && io.stdoutDrained) await io.stdoutDrained();
  }
  const { stats } = reader;
  if (stats.bad > 0) {
    const file = values.requests === "-" ? "<stdin>" : values.requests;
    for (const s of stats.badSamples) io.stderr(`gwsim: ${file}:${s.line}:1: skipped: ${s.reason}\n`);
    io.stderr(`gwsim: ${file}: ${stats.bad} line(s) skipped, ${stats.records} request(s) routed\n`);
  }
  return 0;
}


/** A request's id as the table shows it: a string as is, anything else as JSON; the line number when it has none. */
export function idText(id: unknown, line: number): string {
  if (id === undefined || id === null) return String(line);
  return typeof id === "string" ? id : JSON.stringify(id);
}
