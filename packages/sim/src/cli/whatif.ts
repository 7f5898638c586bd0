import { buildWorld, type ManifestObject, type World } from "@gwsim/core";
import { renderHtml } from "../report/html.js";
import { parseRolloutFile } from "../rollout/parse.js";
import { parseErrorRate, replayRollout } from "../rollout/replay-rollout.js";
import type { ErrorCode } from "../rollout/retry.js";
import { rolloutSteps } from "../rollout/steps.js";
import { renderRolloutJson, renderRolloutText } from "../rollout/text.js";
import { formatDiagnostics } from "./diagnostics.js";
import { evaluateFailIf, evaluateFailIfValue, evaluateRolloutFailIf, evaluateRolloutFailIfValue, failIfSteps } from "../replay/fail-if.js";
import { FAIL_IF_FLAG, parseConditions, reportHeld, unknownRefLines, type Condition } from "./fail-if-flags.js";
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
    "canary (expected and drawn), users who saw both versions, and failed requests expected from --error-rate, after the " +
    "route rules' retries (a failure whose code a rule's retry lists is retried on the same backend) and retry budgets; " +
    "its --fail-if gates read them, e.g. 'usersExposedAt(1) > 100', 'expectedNewVersionShareAt(1) > 6%', 'expectedFailed > 50'.",
  flags: [
    FILE_FLAG,
    { name: "proposed", type: "string", multiple: true, value: "PATH", description: "the proposed manifests (replace the current ones)", stdin: true },
    { name: "set-weight", type: "string", multiple: true, value: "REF=W", description: "change one backendRef weight of the current manifests" },
    { name: "rollout", type: "string", value: "FILE", description: "an Argo Rollouts Rollout or Flagger Canary: replay the trace across its steps" },
    {
      name: "error-rate",
      type: "string",
      multiple: true,
      value: "REF=RATE[:CODE]",
      description:
        "rollout: a backend's error rate (ns/svc=0.02, ns/svc:8080=2%, new=1%, old=0.5%) and the status its failures answer " +
        "(default 503; ns/svc=2%:500, or reset for a connection error): route rules retry the codes they list",
    },
    ...TRACE_FLAGS,
    ...SPLIT_FLAGS,
    { name: "json", type: "boolean", description: "print the comparison as JSON" },
    WIDTH_FLAG,
    HTML_FLAG,
    FAIL_IF_FLAG,
    ...WORLD_FLAGS,
  ],
  examples: [
    "gwsim whatif -f manifests/ --set-weight store/checkout/split/checkout-v2=50 --trace trace.jsonl",
    "gwsim whatif -f main/ --proposed pr/ --trace trace.jsonl --fail-if 'new404 > 0' --fail-if 'share(store/checkout-v2) > 0.15'",
    "gwsim whatif -f manifests/ --rollout rollout.yaml --trace trace.jsonl --error-rate new=2% --html rollout.html",
    "gwsim whatif -f manifests/ --rollout rollout.yaml --trace trace.jsonl --fail-if 'usersExposedAt(1) > 100'",
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
  if (!rollout && values["error-rate"]) throw new UsageError("--error-rate applies to --rollout");
  const conditions = parseConditions(values, rollout ? "rollout" : "whatif");
  await checkTraceInput(values, io);
  if (rollout) await checkInput(io, rollout);
  await checkHtml(values, io);
  const current = await loadWorldAndObjects(values, io);
  if (!current) return 2;
  if (rollout) return rolloutCommand(rollout, values, io, current, conditions, width);
  let after;
  const weightChangeLines: string[] = [];
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
    // Without a rule a spec changes every rule of the route that sends to the backend: say which
    // (with the report, once the run is known to go ahead, so usage errors still come first).
    weightChangeLines.push(...weightChanges(current.objects, changed.objects));
  }
  const unknown = unknownRefLines(conditions, [current.world, after], "the current or the proposed manifests", "in both");
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
  for (const line of weightChangeLines) io.stderr(`gwsim: --set-weight: ${line}\n`);
  io.stdout(values.json ? renderJson(report) : renderWhatifText(report, { width }));
  await writeHtml(values, io, () => renderHtml(report, { title: "gwsim whatif", subtitle: trace.file }));
  return reportHeld(conditions, (e) => evaluateFailIf(e, report), (e) => evaluateFailIfValue(e, report), io) ? 1 : 0;
}

async function rolloutCommand(path: string, values: FlagValues, io: Io, current: { world: World; objects: ManifestObject[] }, conditions: Condition[], width: number): Promise<ExitCode> {
  const errorRates: Record<string, number> = {};
  const errorCodes: Record<string, ErrorCode> = {};
  for (const spec of listFlag(values, "error-rate")) {
    const parsed = parseErrorRate(spec);
    if (!parsed.ok) throw new UsageError(`--error-rate ${spec}: ${parsed.message}`);
    errorRates[parsed.key] = parsed.rate;
    // A later rate for the same key replaces the code too (default 503).
    if (parsed.code !== null) errorCodes[parsed.key] = parsed.code;
    else delete errorCodes[parsed.key];
  }
  const text = await readInput(io, path);
  const file = parseRolloutFile(text, { file: path });
  if (file.problems.length) io.stderr(formatDiagnostics(file.problems));
  if (!file.doc) return 2;
  const plan = rolloutSteps(current.objects, file.doc);
  if (plan.problems.length) io.stderr(formatDiagnostics(plan.problems));
  if (!plan.ok) return 1;
  const stepWorlds = conditions.length ? plan.steps.map((st) => buildWorld(st.objects, current.world.options)) : [];
  const unknown = unknownRefLines(conditions, [current.world, ...stepWorlds], "the manifests or any step of the rollout", "in every step");
  if (unknown.length) {
    for (const line of unknown) io.stderr(`gwsim: ${line}\n`);
    return 2;
  }
  const source = traceSource(values, io, current.world);
  const first = await source.open();
  const onProgress = progress(io);
  let reads = 0;
  const report = await replayRollout(plan, source.rereadable ? () => (reads++ === 0 ? first.reader : source.reader()) : first.reader, {
    ...splitOptions(values),
    errorRates,
    errorCodes,
    buildOptions: current.world.options,
    ...(onProgress ? { onProgress, progressEvery: 50_000 } : {}),
  });
  if (onProgress) io.stderr("\r\x1b[K");
  reportBadLines(first, io);
  if (unreadableTrace(first.reader.stats, first.file, io)) return 2;
  const badLines = badLineWarning(first.reader.stats, first.file);
  if (badLines) report.warnings.push(badLines);
  io.stdout(values.json ? renderRolloutJson(report) : renderRolloutText(report, { width }));
  await writeHtml(values, io, () => renderHtml(report, { title: `gwsim rollout ${plan.name ?? ""}`.trim(), subtitle: source.file }));
  // Steps are numbered as the report lists them, which is known only now (a step before the rollout may lead).
  const pastEnd = conditions.flatMap((c) => failIfSteps(c.expr).filter((n) => n > report.steps.length).map((n) => `--fail-if ${JSON.stringify(c.text)}: step ${n}: the report has ${report.steps.length} step(s)`));
  for (const line of pastEnd) io.stderr(`gwsim: ${line}\n`);
  if (pastEnd.length) return 2;
  return reportHeld(conditions, (e) => evaluateRolloutFailIf(e, report), (e) => evaluateRolloutFailIfValue(e, report), io) ? 1 : 0;
}


type RefWeights = { rules?: { name?: string; backendRefs?: { name?: string; port?: number; weight?: number }[] }[] };

/** One line per changed backendRef: `HTTPRoute ns/r rule 1 (split) backendRef 1 checkout-v2:8080: weight 5 → 50`. */
export function weightChanges(before: readonly ManifestObject[], after: readonly ManifestObject[]): string[] {
  const out: string[] = [];
  before.forEach((o, i) => {
    const n = after[i];
    if (!n || n === o) return;
    const was = ((o.spec ?? {}) as RefWeights).rules ?? [];
    const now = ((n.spec ?? {}) as RefWeights).rules ?? [];
    now.forEach((rule, ri) =>
      (rule.backendRefs ?? []).forEach((ref, bi) => {
        const old = was[ri]?.backendRefs?.[bi]?.weight ?? 1;
        const weight = ref.weight ?? 1;
        if (old === weight) return;
        const name = `${ref.name}${ref.port !== undefined ? `:${ref.port}` : ""}`;
        out.push(`${o.kind} ${o.metadata.namespace ?? "default"}/${o.metadata.name} rule ${ri}${rule.name ? ` (${rule.name})` : ""} backendRef ${bi} ${name}: weight ${old} → ${weight}`);
      }),
    );
  });
  return out;
}
