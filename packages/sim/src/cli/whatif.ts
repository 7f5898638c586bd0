import { buildWorld } from "@gwsim/core";
import { evaluateFailIf, evaluateFailIfValue, parseFailIf, type FailIfExpr } from "../replay/fail-if.js";
import { setWeights } from "../replay/set-weights.js";
import { whatif } from "../replay/whatif.js";
import { renderJson } from "../report/json.js";
import { renderWhatifText } from "../report/text.js";
import { CONTROLLER_FLAG, FALLTHROUGH_FLAG, FILE_FLAG, loadWorldAndObjects } from "./common.js";
import { listFlag, parseFlags, type CommandSpec } from "./flags.js";
import { UsageError, type ExitCode, type Io } from "./io.js";
import { SPLIT_FLAGS, splitOptions } from "./sim-flags.js";
import { openTrace, progress, reportBadLines, TRACE_FLAGS } from "./trace-flags.js";

export const whatifSpec: CommandSpec = {
  name: "whatif",
  summary: "compare where a trace goes under the current and a proposed configuration",
  usage: "gwsim whatif -f MANIFESTS (--proposed MANIFESTS | --set-weight REF=W ...) --trace FILE [--json] [--fail-if EXPR ...]",
  description:
    "Replays the trace through both configurations with the same seed and reports per-backend shares before and " +
    "after, which request classes move from which backend to which, and requests that newly get 404 or 500. " +
    "REF is ns/route[/rule]/backend (rule by index or name). --fail-if takes expressions such as " +
    "'share(store/checkout-v2) > 0.15', 'expectedShare(store/checkout-v2) > 0.12', 'new404 > 0', joined with && and ||; " +
    "exit 1 when one holds, for CI gates.",
  flags: [
    FILE_FLAG,
    { name: "proposed", type: "string", multiple: true, value: "PATH", description: "the proposed manifests (replace the current ones)" },
    { name: "set-weight", type: "string", multiple: true, value: "REF=W", description: "change one backendRef weight of the current manifests" },
    ...TRACE_FLAGS,
    ...SPLIT_FLAGS,
    { name: "json", type: "boolean", description: "print the comparison as JSON" },
    { name: "fail-if", type: "string", multiple: true, value: "EXPR", description: "exit 1 when this expression holds" },
    CONTROLLER_FLAG,
    FALLTHROUGH_FLAG,
  ],
  examples: [
    "gwsim whatif -f manifests/ --set-weight store/checkout/split/checkout-v2=50 --trace trace.jsonl",
    "gwsim whatif -f main/ --proposed pr/ --trace trace.jsonl --fail-if 'new404 > 0' --fail-if 'share(store/checkout-v2) > 0.15'",
  ],
};

export async function whatifCommand(argv: string[], io: Io): Promise<ExitCode> {
  const { values } = parseFlags(whatifSpec, argv);
  const split = splitOptions(values);
  const proposedPaths = listFlag(values, "proposed");
  const weightSpecs = listFlag(values, "set-weight");
  if (proposedPaths.length === 0 && weightSpecs.length === 0) throw new UsageError("give the proposed change: --proposed MANIFESTS or --set-weight REF=W");
  if (proposedPaths.length > 0 && weightSpecs.length > 0) throw new UsageError("--proposed and --set-weight do not go together");
  const conditions: { text: string; expr: FailIfExpr }[] = [];
  for (const text of listFlag(values, "fail-if")) {
    const parsed = parseFailIf(text);
    if (!parsed.ok) throw new UsageError(`--fail-if ${JSON.stringify(text)}: column ${parsed.column}: ${parsed.message}`);
    conditions.push({ text, expr: parsed.expr });
  }
  const current = await loadWorldAndObjects(values, io);
  if (!current) return 2;
  let after;
  if (proposedPaths.length > 0) {
    const proposed = await loadWorldAndObjects(values, io, "proposed");
    if (!proposed) return 2;
    after = proposed.world;
  } else {
    const changed = setWeights(current.objects, weightSpecs);
    if (changed.problems.length) {
      for (const p of changed.problems) io.stderr(`gwsim: --set-weight ${p.spec}: ${p.message}\n`);
      return 2;
    }
    after = buildWorld(changed.objects, current.world.options);
  }
  const trace = await openTrace(values, io, current.world);
  const onProgress = progress(io);
  const report = await whatif(current.world, after, trace.reader, { ...split, ...(onProgress ? { onProgress, progressEvery: 50_000 } : {}) });
  if (onProgress) io.stderr("\r\x1b[K");
  reportBadLines(trace, io);
  io.stdout(values.json ? renderJson(report) : renderWhatifText(report));
  const held = conditions.filter((c) => evaluateFailIf(c.expr, report));
  for (const c of held) io.stderr(`gwsim: --fail-if holds: ${c.text}${valuesOf(c.expr, report)}\n`);
  return held.length ? 1 : 0;
}

/** The measured side of each comparison, so a failed gate says what it saw: ` (expectedShare(x) = 0.0524)`. */
function valuesOf(expr: FailIfExpr, report: Parameters<typeof evaluateFailIfValue>[1]): string {
  const seen: string[] = [];
  const walk = (e: FailIfExpr): void => {
    if (e.type === "binary" && (e.op === "&&" || e.op === "||")) return void (walk(e.left), walk(e.right));
    if (e.type === "binary") {
      for (const side of [e.left, e.right]) {
        if (side.type === "call") seen.push(`${side.name}(${side.arg}) = ${fmt(evaluateFailIfValue(side, report))}`);
        if (side.type === "name") seen.push(`${side.name} = ${fmt(evaluateFailIfValue(side, report))}`);
      }
    }
    if (e.type === "not") walk(e.expr);
  };
  walk(expr);
  return seen.length ? ` (${seen.join(", ")})` : "";
}

const fmt = (v: number | boolean) => (typeof v === "number" ? String(Number(v.toPrecision(4))) : String(v));
