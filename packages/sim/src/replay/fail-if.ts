/**
 * `--fail-if` conditions for CI gates, e.g. `share(store/checkout-v2) > 0.15 || new404 > 0`.
 * A small recursive-descent parser over numbers, comparisons, arithmetic, `!`, `&&`, `||` and
 * parentheses; names and functions come from a fixed table per command, so nothing user-written
 * is executed.
 *
 * whatif (two configurations, one trace):
 *   share(REF) expectedShare(REF) count(REF) users(REF)     after the change (REF: ns/name[:port] or name)
 *   shareBefore(REF) expectedShareBefore(REF) countBefore(REF) usersBefore(REF)
 *   delta(REF)       expected share after − before
 *   hits(ROUTE) hitsBefore(ROUTE)                           requests a route (rule) matched
 *   status(CODE) statusBefore(CODE)                         requests answered with that status
 *   new404 new500 fixed404 fixed500 moved movedExpected requests usersMultiBackend
 * replay (one configuration):
 *   share(REF) expectedShare(REF) count(REF) users(REF) hits(ROUTE) status(CODE)
 *   requests usersMultiBackend badLines agreement compared disagree
 * whatif --rollout (one configuration, changed step by step; figures over the whole trace):
 *   share(REF) expectedShare(REF) count(REF) users(REF) hits(ROUTE) status(CODE)
 *   requests usersMultiBackend steps canaryShare expectedCanaryShare newVersionShare
 *   expectedNewVersionShare usersExposed expectedUsersExposed usersBoth expectedUsersBoth
 *   failed expectedFailed gatewayFailed (failed: after the route rules' retries)
 *   failedWithoutRetries expectedFailedWithoutRetries retries expectedRetries
 *   and per step N (numbered as the report lists them): requestsAt(N) newVersionShareAt(N)
 *   expectedNewVersionShareAt(N) usersExposedAt(N) expectedUsersExposedAt(N) usersBothAt(N)
 *   expectedUsersBothAt(N) failedAt(N) expectedFailedAt(N) retriesAt(N) ...
 * ROUTE: name, ns/name or ns/name/rule (rule by index or name).
 * Numbers may end in `%` (15% = 0.15).
 */
import type { Report, RouteRow } from "./types.js";
import type { WhatifReport } from "./whatif.js";
import type { CanaryExposure, RolloutReport } from "../rollout/replay-rollout.js";

export type FailIfExpr =
  | { type: "number"; value: number }
  | { type: "name"; name: string }
  | { type: "call"; name: string; arg: string }
  | { type: "not"; expr: FailIfExpr }
  | { type: "neg"; expr: FailIfExpr }
  | { type: "binary"; op: BinaryOp; left: FailIfExpr; right: FailIfExpr };

type BinaryOp = "||" | "&&" | ">" | ">=" | "<" | "<=" | "==" | "!=" | "+" | "-" | "*" | "/";

export type FailIfParse = { ok: true; expr: FailIfExpr } | { ok: false; message: string; column: number };

/** Which command's gate: whatif compares two configurations, replay reports on one. */
export type FailIfMode = "whatif" | "replay" | "rollout";

/** What a replay gate reads: the report, and the trace lines that could not be read. */
export interface ReplayGate {
  report: Report;
  badLines: number;
}

type ArgKind = "ref" | "route" | "code" | "step";

interface Table<C> {
  names: Record<string, (c: C) => number>;
  functions: Record<string, { arg: ArgKind; eval: (c: C, arg: string) => number }>;
}

type BackendName = Pick<Report["backends"][number], "namespace" | "name" | "port">;

function matches(ref: string, b: BackendName): boolean {
  const m = /^(?:([^/]+)\/)?([^/:]+)(?::(\d+))?$/.exec(ref.trim());
  if (!m) return false;
  return (m[1] === undefined || m[1] === b.namespace) && m[2] === b.name && (m[3] === undefined || Number(m[3]) === b.port);
}

function sum(report: Report, ref: string, field: "count" | "share" | "expectedShare" | "users"): number {
  return report.backends.filter((b) => matches(ref, b)).reduce((a, b) => a + b[field], 0);
}

/** A route ref's parts: `name`, `ns/name`, `ns/name/rule`. */
function routeParts(ref: string): { namespace: string | undefined; name: string; rule: string | undefined } {
  const parts = ref.trim().split("/");
  if (parts.length === 1) return { namespace: undefined, name: parts[0]!, rule: undefined };
  return { namespace: parts[0], name: parts[1]!, rule: parts[2] };
}

type RouteName = { namespace: string; name: string; rule: number | null; ruleName: string | null };

/** Whether a route rule is what `ref` names (a rule by its index or its name; no rule: every rule). */
function routeMatches(ref: string, r: RouteName): boolean {
  const { namespace, name, rule } = routeParts(ref);
  if (name !== r.name || (namespace !== undefined && namespace !== r.namespace)) return false;
  return rule === undefined || rule === r.ruleName || (/^\d+$/.test(rule) && r.rule === Number(rule));
}

function hits(report: Report, ref: string): number {
  return report.routes.filter((r: RouteRow) => routeMatches(ref, r)).reduce((a, r) => a + r.count, 0);
}

const BACKEND_FUNCTIONS = ["share", "expectedShare", "count", "users"] as const;

const WHATIF: Table<WhatifReport> = {
  names: {
    new404: (r) => r.new404,
    new500: (r) => r.new500,
    fixed404: (r) => r.fixed404,
    fixed500: (r) => r.fixed500,
    moved: (r) => r.moved.count,
    movedExpected: (r) => r.moved.expected,
    requests: (r) => r.requests,
    usersMultiBackend: (r) => r.after.exposure.usersMultiBackend,
  },
  functions: {
    ...Object.fromEntries(BACKEND_FUNCTIONS.map((f) => [f, { arg: "ref" as const, eval: (r: WhatifReport, x: string) => sum(r.after, x, f) }])),
    ...Object.fromEntries(BACKEND_FUNCTIONS.map((f) => [`${f}Before`, { arg: "ref" as const, eval: (r: WhatifReport, x: string) => sum(r.before, x, f) }])),
    delta: { arg: "ref", eval: (r, x) => sum(r.after, x, "expectedShare") - sum(r.before, x, "expectedShare") },
    hits: { arg: "route", eval: (r, x) => hits(r.after, x) },
    hitsBefore: { arg: "route", eval: (r, x) => hits(r.before, x) },
    status: { arg: "code", eval: (r, x) => r.after.statuses[x] ?? 0 },
    statusBefore: { arg: "code", eval: (r, x) => r.before.statuses[x] ?? 0 },
  },
};

const REPLAY: Table<ReplayGate> = {
  names: {
    requests: (g) => g.report.requests,
    usersMultiBackend: (g) => g.report.exposure.usersMultiBackend,
    badLines: (g) => g.badLines,
    // NaN when nothing could be compared: the CLI refuses such a gate (replayGateProblem) rather than let it pass.
    agreement: (g) => g.report.observed?.agreement ?? Number.NaN,
    compared: (g) => g.report.observed?.compared ?? 0,
    disagree: (g) => g.report.observed?.disagree ?? 0,
  },
  functions: {
    ...Object.fromEntries(BACKEND_FUNCTIONS.map((f) => [f, { arg: "ref" as const, eval: (g: ReplayGate, x: string) => sum(g.report, x, f) }])),
    hits: { arg: "route", eval: (g, x) => hits(g.report, x) },
    status: { arg: "code", eval: (g, x) => g.report.statuses[x] ?? 0 },
  },
};

/** A step by its number in the report (1-based); NaN past the end (the CLI refuses those first: failIfSteps). */
function atStep(r: RolloutReport, n: string, f: (e: CanaryExposure) => number): number {
  const step = r.steps[Number(n) - 1];
  return step ? f(step.exposure) : Number.NaN;
}

const EXPOSURE: Record<string, (e: CanaryExposure) => number> = {
  requests: (e) => e.requests,
  newVersionShare: (e) => e.newVersionShare,
  expectedNewVersionShare: (e) => e.expectedNewVersionShare,
  usersExposed: (e) => e.usersExposed,
  expectedUsersExposed: (e) => e.expectedUsersExposed,
  usersBoth: (e) => e.usersBoth,
  expectedUsersBoth: (e) => e.expectedUsersBoth,
  failed: (e) => e.failed.drawn,
  expectedFailed: (e) => e.failed.expected,
  failedWithoutRetries: (e) => e.failed.drawnWithoutRetries,
  expectedFailedWithoutRetries: (e) => e.failed.expectedWithoutRetries,
  retries: (e) => e.failed.retries,
  expectedRetries: (e) => e.failed.expectedRetries,
};

const ROLLOUT: Table<RolloutReport> = {
  names: {
    ...Object.fromEntries(Object.entries(EXPOSURE).map(([k, f]) => [k, (r: RolloutReport) => f(r.overall.exposure)])),
    requests: (r) => r.requests,
    steps: (r) => r.steps.length,
    usersMultiBackend: (r) => r.overall.report.exposure.usersMultiBackend,
    canaryShare: (r) => r.overall.exposure.canaryShare,
    expectedCanaryShare: (r) => r.overall.exposure.expectedCanaryShare,
    gatewayFailed: (r) => r.overall.exposure.failed.gateway,
  },
  functions: {
    ...Object.fromEntries(BACKEND_FUNCTIONS.map((f) => [f, { arg: "ref" as const, eval: (r: RolloutReport, x: string) => sum(r.overall.report, x, f) }])),
    hits: { arg: "route", eval: (r, x) => hits(r.overall.report, x) },
    status: { arg: "code", eval: (r, x) => r.overall.report.statuses[x] ?? 0 },
    ...Object.fromEntries(Object.entries(EXPOSURE).map(([k, f]) => [`${k}At`, { arg: "step" as const, eval: (r: RolloutReport, n: string) => atStep(r, n, f) }])),
  },
};

const TABLES: Record<FailIfMode, Table<never>> = { whatif: WHATIF as Table<never>, replay: REPLAY as Table<never>, rollout: ROLLOUT as Table<never> };

/** Every command's functions: each takes a raw argument, so `shareBefore(a/b)` in replay is named, not mis-tokenised. */
const ALL_FUNCTIONS: Record<string, { arg: ArgKind }> = { ...WHATIF.functions, ...REPLAY.functions, ...ROLLOUT.functions };

const MODE_HINT: Record<FailIfMode, string> = {
  whatif: "gwsim whatif with --proposed or --set-weight",
  replay: "gwsim replay",
  rollout: "gwsim whatif --rollout",
};

const ARG_HELP: Record<ArgKind, string> = {
  ref: "a backend, e.g. ns/name",
  route: "a route, e.g. ns/name or ns/name/rule",
  code: "a status code",
  step: "a step number, e.g. 1",
};

class ParseError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

type Token = { kind: "num" | "name" | "op" | "ref" | "end"; text: string; value?: number; at: number };

const OPS = ["&&", "||", ">=", "<=", "==", "!=", ">", "<", "!", "+", "-", "*", "/", "(", ")"];

function tokenize(src: string, functions: Record<string, unknown>): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?(%?)/i.exec(src.slice(i));
    if (num) {
      const value = Number(num[0].replace(/%$/, "")) / (num[2] ? 100 : 1);
      tokens.push({ kind: "num", text: num[0], value, at: i });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (name) {
      tokens.push({ kind: "name", text: name[0], at: i });
      i += name[0].length;
      // A function's argument is raw text up to `)`: refs like ns/name:8080 are not arithmetic.
      const rest = /^\s*\(/.exec(src.slice(i));
      if (rest && Object.hasOwn(functions, name[0])) {
        tokens.push({ kind: "op", text: "(", at: i + rest[0].length - 1 });
        i += rest[0].length;
        const close = src.indexOf(")", i);
        if (close < 0) throw new ParseError(`missing ) after ${name[0]}(`, i + 1);
        tokens.push({ kind: "ref", text: src.slice(i, close).trim(), at: i });
        i = close;
      }
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ParseError(`unexpected ${JSON.stringify(c)}`, i + 1);
    tokens.push({ kind: "op", text: op, at: i });
    i += op.length;
  }
  tokens.push({ kind: "end", text: "end of input", at: src.length });
  return tokens;
}

/** Known names of a mode, for messages: `new404, ..., share(), ...`. */
function known(mode: FailIfMode): string {
  const t = TABLES[mode];
  return [...Object.keys(t.names), ...Object.keys(t.functions).map((f) => `${f}()`)].join(", ");
}

/** Where a name of another command belongs, when it is not this one's. */
function otherModeHint(mode: FailIfMode, name: string): string {
  const owners = (Object.keys(TABLES) as FailIfMode[]).filter((m) => m !== mode && (Object.hasOwn(TABLES[m].names, name) || Object.hasOwn(TABLES[m].functions, name)));
  if (owners.length === 0) return "";
  const where = owners.map((m) => MODE_HINT[m]).join(" or ");
  return owners.length === 1 && owners[0] === "whatif" ? ` (${name} compares two configurations: it is for ${where})` : ` (${name} is for ${where})`;
}

export function parseFailIf(src: string, mode: FailIfMode = "whatif"): FailIfParse {
  const { names, functions } = TABLES[mode];
  try {
    const tokens = tokenize(src, ALL_FUNCTIONS);
    let pos = 0;
    const peek = (): Token => tokens[pos]!;
    const isOp = (...ops: string[]): boolean => peek().kind === "op" && ops.includes(peek().text);
    const fail = (what: string): never => {
      const t = peek();
      throw new ParseError(`${what}, found ${t.kind === "end" ? t.text : JSON.stringify(t.text)}`, t.at + 1);
    };
    const binary = (next: () => FailIfExpr, ops: BinaryOp[], once = false) => (): FailIfExpr => {
      let left = next();
      while (isOp(...ops)) {
        const op = tokens[pos++]!.text as BinaryOp;
        left = { type: "binary", op, left, right: next() };
        if (once) break;
      }
      return left;
    };
    const primary = (): FailIfExpr => {
      const t = peek();
      if (t.kind === "num") {
        pos++;
        return { type: "number", value: t.value! };
      }
      if (t.kind === "name") {
        pos++;
        // Own keys only: `constructor` and friends must not reach the prototype.
        const fn = Object.hasOwn(functions, t.text) ? functions[t.text] : undefined;
        if (!fn && Object.hasOwn(ALL_FUNCTIONS, t.text)) throw new ParseError(`unknown function ${t.text}()${otherModeHint(mode, t.text)} (known: ${known(mode)})`, t.at + 1);
        if (fn) {
          if (!isOp("(")) fail(`expected ( after ${t.text}`);
          pos++;
          const arg = peek();
          pos++;
          if (arg.text === "") throw new ParseError(`${t.text}() needs ${ARG_HELP[fn.arg]}`, arg.at + 1);
          if (fn.arg === "code" && !/^\d{3}$/.test(arg.text)) throw new ParseError(`${t.text}(${arg.text}): expected an HTTP status code`, arg.at + 1);
          if (fn.arg === "ref" && !/^(?:[^/\s]+\/)?[^/:\s]+(?::\d+)?$/.test(arg.text)) {
            throw new ParseError(`${t.text}(${arg.text}): expected namespace/name[:port]`, arg.at + 1);
          }
          if (fn.arg === "step" && !/^[1-9]\d{0,5}$/.test(arg.text)) throw new ParseError(`${t.text}(${arg.text}): expected a step number (1, 2, ...)`, arg.at + 1);
          if (fn.arg === "route" && !/^(?:[^/\s]+\/)?[^/\s]+(?:\/[^/\s]+)?$/.test(arg.text)) {
            throw new ParseError(`${t.text}(${arg.text}): expected name, namespace/name or namespace/name/rule`, arg.at + 1);
          }
          if (!isOp(")")) fail("expected )");
          pos++;
          return { type: "call", name: t.text, arg: arg.text };
        }
        if (Object.hasOwn(names, t.text)) return { type: "name", name: t.text };
        throw new ParseError(`unknown name ${t.text}${otherModeHint(mode, t.text)} (known: ${known(mode)})`, t.at + 1);
      }
      if (isOp("(")) {
        pos++;
        const e = or();
        if (!isOp(")")) fail("expected )");
        pos++;
        return e;
      }
      return fail("expected a number, a name or (");
    };
    const unary = (): FailIfExpr => {
      if (isOp("-")) {
        pos++;
        return { type: "neg", expr: unary() };
      }
      if (isOp("!")) {
        pos++;
        return { type: "not", expr: unary() };
      }
      return primary();
    };
    const mul = binary(unary, ["*", "/"]);
    const add = binary(mul, ["+", "-"]);
    const cmp = binary(add, [">", ">=", "<", "<=", "==", "!="], true);
    const and = binary(cmp, ["&&"]);
    const or: () => FailIfExpr = binary(and, ["||"]);
    const expr = or();
    if (peek().kind !== "end") fail("expected an operator or the end");
    return { ok: true, expr };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, message: e.message, column: e.column };
    throw e;
  }
}

function value<C>(e: FailIfExpr, t: Table<C>, c: C): number | boolean {
  switch (e.type) {
    case "number":
      return e.value;
    case "name":
      return t.names[e.name]!(c);
    case "call":
      return t.functions[e.name]!.eval(c, e.arg);
    case "not":
      return !truthy(value(e.expr, t, c));
    case "neg":
      return -Number(value(e.expr, t, c));
    case "binary": {
      if (e.op === "&&") return truthy(value(e.left, t, c)) && truthy(value(e.right, t, c));
      if (e.op === "||") return truthy(value(e.left, t, c)) || truthy(value(e.right, t, c));
      const x = Number(value(e.left, t, c));
      const y = Number(value(e.right, t, c));
      switch (e.op) {
        case ">":
          return x > y;
        case ">=":
          return x >= y;
        case "<":
          return x < y;
        case "<=":
          return x <= y;
        case "==":
          return x === y;
        case "!=":
          return x !== y;
        case "+":
          return x + y;
        case "-":
          return x - y;
        case "*":
          return x * y;
        case "/":
          return y === 0 ? Number.NaN : x / y;
      }
    }
  }
}

function truthy(v: number | boolean): boolean {
  return typeof v === "boolean" ? v : v !== 0 && !Number.isNaN(v);
}

function walk(e: FailIfExpr, visit: (e: FailIfExpr) => void): void {
  visit(e);
  if (e.type === "not" || e.type === "neg") walk(e.expr, visit);
  if (e.type === "binary") (walk(e.left, visit), walk(e.right, visit));
}

const argKind = (name: string): ArgKind | undefined => (Object.hasOwn(ALL_FUNCTIONS, name) ? ALL_FUNCTIONS[name]!.arg : undefined);

function callArgs(expr: FailIfExpr, kind: ArgKind): string[] {
  const out = new Set<string>();
  walk(expr, (e) => {
    if (e.type === "call" && argKind(e.name) === kind) out.add(e.arg);
  });
  return [...out];
}

/** The backend refs an expression names (`share(REF)`, `delta(REF)`, ...), in order, once each. */
export function failIfRefs(expr: FailIfExpr): string[] {
  return callArgs(expr, "ref");
}

/** The route refs an expression names (`hits(ROUTE)`), in order, once each. */
export function failIfRouteRefs(expr: FailIfExpr): string[] {
  return callArgs(expr, "route");
}

/** The step numbers an expression names (`usersExposedAt(N)`), once each. */
export function failIfSteps(expr: FailIfExpr): number[] {
  return callArgs(expr, "step").map(Number);
}

/** Whether an expression reads a name (e.g. `agreement`). */
export function failIfUses(expr: FailIfExpr, name: string): boolean {
  let used = false;
  walk(expr, (e) => {
    if (e.type === "name" && e.name === name) used = true;
  });
  return used;
}

/**
 * The refs of an expression that match none of `known` (the backends both worlds can send to): a
 * condition on them is 0 in every report, so a gate on a misspelt backend would never fire.
 */
export function unknownFailIfRefs(expr: FailIfExpr, known: readonly BackendName[]): string[] {
  return failIfRefs(expr).filter((ref) => !known.some((b) => matches(ref, b)));
}

/** A route of the manifests, with its rules' names (index = rule number). */
export interface KnownRoute {
  namespace: string;
  name: string;
  ruleNames: readonly (string | null)[];
}

/** The route refs that name no route (or no rule of it) in `routes`: `hits()` of them is always 0. */
export function unknownFailIfRouteRefs(expr: FailIfExpr, routes: readonly KnownRoute[]): string[] {
  return failIfRouteRefs(expr).filter(
    (ref) => !routes.some((r) => (routeParts(ref).rule === undefined ? routeMatches(ref, { ...r, rule: null, ruleName: null }) : r.ruleNames.some((ruleName, rule) => routeMatches(ref, { ...r, rule, ruleName })))),
  );
}

/** True when the condition holds (the gate fails). */
export function evaluateFailIf(expr: FailIfExpr, report: WhatifReport): boolean {
  return truthy(value(expr, WHATIF, report));
}

/** The value of an expression (for messages: `share(ns/canary) = 0.171`). */
export function evaluateFailIfValue(expr: FailIfExpr, report: WhatifReport): number | boolean {
  return value(expr, WHATIF, report);
}

/** True when a replay gate's condition holds (parsed with mode "replay"). */
export function evaluateReplayFailIf(expr: FailIfExpr, gate: ReplayGate): boolean {
  return truthy(value(expr, REPLAY, gate));
}

export function evaluateReplayFailIfValue(expr: FailIfExpr, gate: ReplayGate): number | boolean {
  return value(expr, REPLAY, gate);
}

/** True when a rollout gate's condition holds (parsed with mode "rollout"). */
export function evaluateRolloutFailIf(expr: FailIfExpr, report: RolloutReport): boolean {
  return truthy(value(expr, ROLLOUT, report));
}

export function evaluateRolloutFailIfValue(expr: FailIfExpr, report: RolloutReport): number | boolean {
  return value(expr, ROLLOUT, report);
}

/** What each name means, for the CLI reference (every name of every mode has one: fail-if.test.ts). */
export const FAIL_IF_DOCS: Record<string, string> = {
  share: "share of all requests the seeded draw sent to the backend(s) REF names",
  expectedShare: "exact expected share of the backend(s), from the weights",
  count: "requests sent to the backend(s)",
  users: "distinct users who reached the backend(s)",
  shareBefore: "share(REF) under the current configuration",
  expectedShareBefore: "expectedShare(REF) under the current configuration",
  countBefore: "count(REF) under the current configuration",
  usersBefore: "users(REF) under the current configuration",
  delta: "expectedShare(REF) after minus before",
  hits: "requests the route (or its rule, by index or name) matched",
  hitsBefore: "hits(ROUTE) under the current configuration",
  status: "requests the gateway answered itself with that HTTP status",
  statusBefore: "status(CODE) under the current configuration",
  new404: "requests answered 404 after the change but not before",
  new500: "requests answered 500 after the change but not before",
  fixed404: "requests answered 404 before the change but not after",
  fixed500: "requests answered 500 before the change but not after",
  moved: "requests whose sampled destination differs",
  movedExpected: "expected number of requests that change destination",
  requests: "requests replayed",
  usersMultiBackend: "users who reached more than one backend of some split",
  badLines: "trace lines that could not be read",
  agreement: "share of the comparable requests whose simulated backend or status is the observed one (refused when the trace has no observations)",
  compared: "requests whose observation could be compared",
  disagree: "compared requests where simulation and observation differ",
  steps: "steps in the report",
  canaryShare: "share of all requests the seeded replay sent to the new version",
  expectedCanaryShare: "exact expected share of all requests on the new version",
  newVersionShare: "of the requests that reached either version, the share on the new one",
  expectedNewVersionShare: "newVersionShare, expected from the weights",
  usersExposed: "users with a request on the new version in the seeded replay",
  expectedUsersExposed: "users expected to meet the new version",
  usersBoth: "users who met both versions in the seeded replay",
  expectedUsersBoth: "users expected to meet both versions",
  failed: "failed requests in the seeded replay (gateway 5xx, and draws against --error-rate), after the route rules' retries",
  expectedFailed: "failed requests expected, after the route rules' retries",
  failedWithoutRetries: "failed in the seeded replay had no request been retried (first attempts' draws)",
  expectedFailedWithoutRetries: "failed requests expected had no request been retried",
  retries: "retries the seeded replay sent (attempts beyond the first: extra load on the backends)",
  expectedRetries: "retries expected (attempts beyond the first)",
  gatewayFailed: "5xx the gateway answered itself",
};

const ARG_NAMES: Record<ArgKind, string> = { ref: "REF", route: "ROUTE", code: "CODE", step: "N" };

/** The names and functions of a mode, as written in an expression (`share(REF)`, `new404`), with their meaning. */
export function failIfVocabulary(mode: FailIfMode): { name: string; meaning: string }[] {
  const { names, functions } = TABLES[mode];
  const meaning = (name: string): string => {
    const base = name.endsWith("At") && !Object.hasOwn(FAIL_IF_DOCS, name) ? name.slice(0, -2) : name;
    return `${FAIL_IF_DOCS[base] ?? ""}${base !== name ? ", in step N" : ""}`;
  };
  return [
    ...Object.entries(functions).map(([name, f]) => ({ name: `${name}(${ARG_NAMES[f.arg]})`, meaning: meaning(name) })),
    ...Object.keys(names).map((name) => ({ name, meaning: meaning(name) })),
  ];
}
