import { parseSynthProfile } from "../synth/profile.js";
import { synthesizeJsonl } from "../synth/synthesize.js";
import { formatDiagnostics } from "./diagnostics.js";
import { intFlag, parseFlags, type CommandSpec } from "./flags.js";
import { UsageError, type ExitCode, type Io } from "./io.js";
import { readInput } from "./paths.js";

export const synthSpec: CommandSpec = {
  name: "synth",
  summary: "generate a synthetic trace (JSON Lines) from a traffic profile",
  usage: "gwsim synth --profile PROFILE.yaml --count N [--seed N] > trace.jsonl",
  description:
    "A profile names request classes (host, method, path templates with random segments, header and query " +
    "distributions, share of traffic), a user population with heavy-tailed request counts, and arrival times with a " +
    "rate and a daily shape. The same profile, count and seed give the same trace, byte for byte.",
  flags: [
    { name: "profile", short: "p", type: "string", value: "FILE", description: "the traffic profile (YAML)" },
    { name: "count", short: "n", type: "string", value: "N", description: "number of requests" },
    { name: "seed", type: "string", value: "N", description: "seed (default 1)" },
  ],
  examples: ["gwsim synth --profile packages/examples/profiles/store.yaml --count 10000 --seed 42 > trace.jsonl"],
};

export async function synthCommand(argv: string[], io: Io): Promise<ExitCode> {
  const { values } = parseFlags(synthSpec, argv);
  if (typeof values.profile !== "string") throw new UsageError("--profile FILE is required");
  if (values.count === undefined) throw new UsageError("--count N is required");
  const count = intFlag(values, "count", 0);
  if (count < 0) throw new UsageError("--count must be 0 or more");
  const text = await readInput(io, values.profile);
  const parsed = parseSynthProfile(text, values.profile);
  if (!parsed.ok) {
    io.stderr(formatDiagnostics(parsed.diagnostics));
    return 2;
  }
  if (parsed.diagnostics.length) io.stderr(formatDiagnostics(parsed.diagnostics));
  let chunk = "";
  for (const line of synthesizeJsonl(parsed.profile, { count, seed: intFlag(values, "seed", 1) })) {
    chunk += line;
    if (chunk.length > 1 << 16) {
      io.stdout(chunk);
      chunk = "";
    }
  }
  io.stdout(chunk);
  return 0;
}
