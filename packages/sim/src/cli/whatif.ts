import { buildWorld, type ManifestObject, type World } from "@gwsim/core";
import { renderHtml } from "../report/html.js";
import { parseRolloutFile } from "../rollout/parse.js";
import { parseErrorRate, replayRollout } from "../rollout/replay-rollout.js";
import { rolloutSteps } from "../rollout/steps.js";
import { renderRolloutJson, renderRolloutText } from "../rollout/text.js";
import { formatDiagnostics } from "./diagnostics.js";
import { evaluateFailIf, evaluateFailIfValue, parseFailIf, unknownFailIfRefs, type FailIfExpr } from "../replay/fail-if.js";
import { setWeights } from "../replay/set-weights.js";
import { whatif } from "../replay/whatif.js";
import { renderJson } from "../report/json.js";
import { renderWhatifText } from "../report/text.js";
import { FILE_FLAG, loadWorldAndObjects, WORLD_FLAGS } from "./common.js";
import { listFlag, parseFlags, type CommandSpec, type FlagValues } from "./flags.js";
import { UsageError, type ExitCode, type Io } from "./io.js";
import { checkHtml, HTML_FLAG, SPLIT_FLAGS, splitOptions, textWidth, WIDTH_FLAG, writeHtml } from "./sim-flags.js";
import { checkInput, readInput } from "./paths.js";
import { badLineWarning, checkTraceInput, openTrace, progress, reportBadLines, TRACE_FLAGS, traceSource, unreadableTrace } from "./trace-flags.js";

export const whatifSpec: CommandSpec = {
  name: "whatif",
  summary: "compare where a trace goes under the current and a proposed configuration",
  usage: "gwsim whatif -f MANIFESTS (--proposed MANIFESTS | --set-weight REF=W ... | --rollout FILE) --trace FILE [--json|--html FILE] [--width N] [--fail-if EXPR ...]",
  description:
    "Replays the trace through both configurations with the same seed and reports per-backend shares before and " +
    "after, which request classes move from which backend to which, and requests that newly get 404 or 500. " +
    "REF is ns/route[/rule]/backend (rule by index or name). --fail-if takes expressions such as " +
    "'share(store/checkout-v2) > 0.15', 'expectedShare(store/checkout-v2) > 0.12', 'new404 > 0', joined with && and ||; " +
    "exit 1 when one holds, for CI gates (a backend neither configuration has is a usage error, exit 2). --rollout takes an Argo Rollouts Rollout (canary steps, Gateway API plugin) or a " +
    "Flagger Canary and replays a timed trace across its steps: per step and overall shares, users exposed to the " +
    "canary (expected and drawn), users who saw both versions, and failed requests expected from --error-rate.",
  flags: [
    FILE_FLAG,
    { name: "proposed", type: "string", multiple: true, value: "PATH", description: "the proposed manifests (replace the current ones)", stdin: true },
    { name: "set-weight", type: "string", multiple: true, value: "REF=W", description: "change one backendRef weight of the current manifests" },
    { name: "rollout", type: "string", value: "FILE", description: "an Argo Rollouts Rollout or Flagger Canary: replay the trace across its steps" },
    { name: "error-rate", type: "string", multiple: true, value: "REF=RATE", description: "rollout: a backend's error rate (ns/svc=0.02, ns/svc:8080=2%, new=1%, old=0.5%)" },
    ...TRACE_FLAGS,
    ...SPLIT_FLAGS,
    { name: "json", type: "boolean", description: "print the comparison as JSON" },
    WIDTH_FLAG,
    HTML_FLAG,
    { name: "fail-if", type: "string", multiple: true, value: "EXPR", description: "exit 1 when this expression holds" },
    ...WORLD_FLAGS,
  ],
  examples: [
    "gwsim whatif -f manifests/ --set-weight store/checkout/split/checkout-v2=50 --trace trace.jsonl",
    "gwsim whatif -f main/ --proposed pr/ --trace trace.jsonl --fail-if 'new404 > 0' --fail-if 'share(store/checkout-v2) > 0.15'",
    "gwsim whatif -f manifests/ --rollout rollout.yaml --trace trace.jsonl --error-rate new=2% --html rollout.html",
  ],
};

export async function whatifCommand(argv: string[], io: Io): Promise<ExitCode> {
  const { values } = parseFlags(whatifSpec, argv);
  const split = splitOptions(values);
  const width = textWidth(values, io);
  const proposedPaths = listFlag(values, "proposed");
  const weightSpecs = listFlag(values, "set-weight");
  const rollout = typeof values.rollout === "string" ? values.rollout : null;
  const changes = [proposedPaths.length > 0, weightSpecs.length > 0, rollout !== null].filter(Boolean).length;
  if (changes === 0) throw new UsageError("give the proposed change: --proposed MANIFESTS, --set-weight REF=W or --rollout FILE");
  if (changes > 1) throw new UsageError("--proposed, --set-weight and --rollout do not go together");
  if (rollout && values["fail-if"]) throw new UsageError("--fail-if compares two configurations; it does not apply to --rollout");
  if (!rollout && values["error-rate"]) throw new UsageError("--error-rate applies to --rollout");
  const conditions: { text: string; expr: FailIfExpr }[] = [];
  for (const text of listFlag(values, "fail-if")) {
    const parsed = parseFailIf(text);
    if (!parsed.ok) throw new UsageError(`--fail-if ${JSON.stringify(text)}: column ${parsed.column}: ${parsed.message}`);
    conditions.push({ text, expr: parsed.expr });
  }
  await checkTraceInput(values, io);
  if (rollout) await checkInput(io, rollout);
  await checkHtml(values, io);
  const current = await loadWorldAndObjects(values, io);
  if (!current) return 2;
  if (rollout) return rolloutCommand(rollout, values, io, current);
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
  const unknown = unknownRefs(conditions, [current.world, after]);
  if (unknown.length) {
    for (const line of unknown) io.stderr(`gwsim: ${line}\n`);
    return 2;
  }
  const trace = await openTrace(values, io, current.world, [after]);
  const onProgress = progress(io);
  const report = await whatif(current.world, after, trace.reader, { ...split, ...(onProgress ? { onProgress, progressEvery: 50_000 } : {}) });
  if (onProgress) io.stderr("\r\x1b[K");
  reportBadLines(trace, io);
  if (unreadableTrace(trace.reader.stats, trace.file, io)) return 2;
  io.stdout(values.json ? renderJson(report) : renderWhatifText(report, { width }));
  await writeHtml(values, io, () => renderHtml(report, { title: "gwsim whatif", subtitle: trace.file }));
  const held = conditions.filter((c) => evaluateFailIf(c.expr, report));
  for (const c of held) io.stderr(`gwsim: --fail-if holds: ${c.text}${valuesOf(c.expr, report)}\n`);
  return held.length ? 1 : 0;
}

/** What a --fail-if REF may name: route backends and Services (mesh requests reach them without a route), of either world. */
function knownBackends(worlds: readonly World[]): { namespace: string; name: string; port: number | null }[] {
  const out: { namespace: string; name: string; port: number | null }[] = [];
  for (const w of worlds) {
    for (const r of w.graph.routes) for (const rule of r.rules) out.push(...rule.backends);
    for (const svc of w.graph.services) for (const p of svc.ports) out.push({ namespace: svc.namespace, name: svc.name, port: p.port });
  }
  return out;
}

/** One message per --fail-if backend that neither world has, as --set-weight reports its unknown refs. */
function unknownRefs(conditions: { text: string; expr: FailIfExpr }[], worlds: readonly World[]): string[] {
  if (conditions.length === 0) return [];
  const known = knownBackends(worlds);
  const names = [...new Set(known.map((b) => `${b.namespace}/${b.name}`))].sort();
  const shown = names.length > 12 ? `${names.slice(0, 12).join(", ")}, ... (${names.length})` : names.join(", ");
  return conditions.flatMap((c) =>
    unknownFailIfRefs(c.expr, known).map(
      (ref) => `--fail-if ${JSON.stringify(c.text)}: no backend ${ref} in the current or the proposed manifests, so it would be 0 in both (backends: ${shown || "none"})`,
    ),
  );
}

async function rolloutCommand(path: string, values: FlagValues, io: Io, current: { world: World; objects: ManifestObject[] }): Promise<ExitCode> {
  const errorRates: Record<string, number> = {};
  for (const spec of listFlag(values, "error-rate")) {
    const parsed = parseErrorRate(spec);
    if (!parsed.ok) throw new UsageError(`--error-rate ${spec}: ${parsed.message}`);
    errorRates[parsed.key] = parsed.rate;
  }
  const text = await readInput(io, path);
  const file = parseRolloutFile(text, { file: path });
  if (file.problems.length) io.stderr(formatDiagnostics(file.problems));
  if (!file.doc) return 2;
  const plan = rolloutSteps(current.objects, file.doc);
  if (plan.problems.length) io.stderr(formatDiagnostics(plan.problems));
  if (!plan.ok) return 1;
  const source = traceSource(values, io, current.world);
  const first = await source.open();
  const onProgress = progress(io);
  let reads = 0;
  const report = await replayRollout(plan, source.rereadable ? () => (reads++ === 0 ? first.reader : source.reader()) : first.reader, {
    ...splitOptions(values),
    errorRates,
    buildOptions: current.world.options,
    ...(onProgress ? { onProgress, progressEvery: 50_000 } : {}),
  });
  if (onProgress) io.stderr("\r\x1b[K");
  reportBadLines(first, io);
  if (unreadableTrace(first.reader.stats, first.file, io)) return 2;
  const badLines = badLineWarning(first.reader.stats, first.file);
  if (badLines) report.warnings.push(badLines);
  // The rollout text is laid out for 80 columns whatever --width says (rollout/text.ts takes no width yet).
  io.stdout(values.json ? renderRolloutJson(report) : renderRolloutText(report));
  await writeHtml(values, io, () => renderHtml(report, { title: `gwsim rollout ${plan.name ?? ""}`.trim(), subtitle: source.file }));
  return 0;
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
