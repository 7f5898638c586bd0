import { parseSynthProfile } from "../synth/profile.js";
import { arrivalsOutOfRange, synthesizeJsonl, SynthRangeError } from "../synth/synthesize.js";
import { formatDiagnostics } from "./diagnostics.js";
import { intFlag, parseFlags, type CommandSpec } from "./flags.js";
import { UsageError, type ExitCode, type Io } from "./io.js";
import { readInput } from "./paths.js";

export const synthSpec: CommandSpec = {
  name: "synth",
  summary: "generate a synthetic trace (JSON Lines) from a traffic profile",
  usage: "gwsim synth --profile PROFILE.yaml --count N [--seed N] > trace.jsonl",
  description:
    "A profile names request classes (host, method and path templates with random segments, or gRPC calls " +
    "(grpc: {service, method}), header and query distributions, share of traffic), a user population with heavy-tailed request counts, and arrival times with a " +
    "rate and a daily shape (per UTC hour, or per local hour of an IANA time zone, DST included). The same profile, count and seed give the same trace, byte for byte, on " +
    "any machine, and the trace for --count N is the first N lines of the trace for any larger count. The profile " +
    "format is described in docs/synth-profile.md.",
  flags: [
    { name: "profile", short: "p", type: "string", value: "FILE", description: "the traffic profile (YAML or JSON; - for stdin)" },
    { name: "count", short: "n", type: "string", value: "N", description: "number of requests" },
    { name: "seed", type: "string", value: "N", description: "seed (default 1)" },
  ],
  examples: ["gwsim synth --profile packages/examples/profiles/store.yaml --count 10000 --seed 42 > trace.jsonl"],
};

const CHUNK_CHARS = 1 << 16;
/** Chunks between turns of the event loop, so an EPIPE (reader gone) is seen promptly even without backpressure. */
const CHUNKS_PER_TURN = 16;

export async function synthCommand(argv: string[], io: Io): Promise<ExitCode> {
  const { values } = parseFlags(synthSpec, argv);
  if (typeof values.profile !== "string") throw new UsageError("--profile FILE is required");
  if (values.count === undefined) throw new UsageError("--count N is required");
  const count = intFlag(values, "count", 0);
  if (count < 0) throw new UsageError("--count must be 0 or more");
  const seed = intFlag(values, "seed", 1);
  // `-` reads the profile from stdin, named <stdin> in messages as manifests read that way are.
  const fromStdin = values.profile === "-";
  const file = fromStdin ? "<stdin>" : values.profile;
  const text = fromStdin ? await io.readStdin() : await readInput(io, values.profile);
  const parsed = parseSynthProfile(text, file);
  if (!parsed.ok) {
    io.stderr(formatDiagnostics(parsed.diagnostics));
    return 2;
  }
  if (parsed.diagnostics.length) io.stderr(formatDiagnostics(parsed.diagnostics));
  const rangeProblem = (detail: string): ExitCode => {
    io.stderr(`gwsim: ${file}: rate: ${detail}\n`);
    return 2;
  };
  if (arrivalsOutOfRange(parsed.profile, count)) {
    return rangeProblem(`${count} requests at ${parsed.profile.rate}/s from ${parsed.profile.start} run past year 9999: raise rate or lower --count`);
  }
  let chunk = "";
  let chunks = 0;
  const flush = async (): Promise<void> => {
    io.stdout(chunk);
    chunk = "";
    if (io.stdoutDrained) await io.stdoutDrained();
    if (++chunks % CHUNKS_PER_TURN === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  try {
    for (const line of synthesizeJsonl(parsed.profile, { count, seed })) {
      chunk += line;
      if (chunk.length > CHUNK_CHARS) await flush();
    }
  } catch (e) {
    if (!(e instanceof SynthRangeError)) throw e;
    if (chunk) io.stdout(chunk);
    return rangeProblem(e.message);
  }
  io.stdout(chunk);
  return 0;
}
