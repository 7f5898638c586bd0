/**
 * `--fail-if` conditions for CI gates, e.g. `share(store/checkout-v2) > 0.15 || new404 > 0`.
 * A small recursive-descent parser over numbers, comparisons, arithmetic, `!`, `&&`, `||` and
 * parentheses; names and functions come from a fixed table, so nothing user-written is executed.
 *
 *   share(REF) expectedShare(REF) count(REF) users(REF)     after the change (REF: ns/name[:port] or name)
 *   shareBefore(REF) expectedShareBefore(REF) countBefore(REF) usersBefore(REF)
 *   delta(REF)       expected share after − before
 *   status(CODE) statusBefore(CODE)                         requests answered with that status
 *   new404 new500 fixed404 fixed500 moved movedExpected requests usersMultiBackend
 *   Numbers may end in `%` (15% = 0.15).
 */
import type { Report } from "./types.js";
import type { WhatifReport } from "./whatif.js";

export type FailIfExpr =
  | { type: "number"; value: number }
  | { type: "name"; name: string }
  | { type: "call"; name: string; arg: string }
  | { type: "not"; expr: FailIfExpr }
  | { type: "neg"; expr: FailIfExpr }
  | { type: "binary"; op: BinaryOp; left: FailIfExpr; right: FailIfExpr };

type BinaryOp = "||" | "&&" | ">" | ">=" | "<" | "<=" | "==" | "!=" | "+" | "-" | "*" | "/";

export type FailIfParse = { ok: true; expr: FailIfExpr } | { ok: false; message: string; column: number };

type Ctx = WhatifReport;

const NAMES: Record<string, (r: Ctx) => number> = {
  new404: (r) => r.new404,
  new500: (r) => r.new500,
  fixed404: (r) => r.fixed404,
  fixed500: (r) => r.fixed500,
  moved: (r) => r.moved.count,
  movedExpected: (r) => r.moved.expected,
  requests: (r) => r.requests,
  usersMultiBackend: (r) => r.after.exposure.usersMultiBackend,
};

type BackendName = Pick<Report["backends"][number], "namespace" | "name" | "port">;

function matches(ref: string, b: BackendName): boolean {
  const m = /^(?:([^/]+)\/)?([^/:]+)(?::(\d+))?$/.exec(ref.trim());
  if (!m) return false;
  return (m[1] === undefined || m[1] === b.namespace) && m[2] === b.name && (m[3] === undefined || Number(m[3]) === b.port);
}

function sum(report: Report, ref: string, field: "count" | "share" | "expectedShare" | "users"): number {
  return report.backends.filter((b) => matches(ref, b)).reduce((a, b) => a + b[field], 0);
}

const FUNCTIONS: Record<string, { arg: "ref" | "code"; eval: (r: Ctx, arg: string) => number }> = {
  share: { arg: "ref", eval: (r, x) => sum(r.after, x, "share") },
  expectedShare: { arg: "ref", eval: (r, x) => sum(r.after, x, "expectedShare") },
  count: { arg: "ref", eval: (r, x) => sum(r.after, x, "count") },
  users: { arg: "ref", eval: (r, x) => sum(r.after, x, "users") },
  shareBefore: { arg: "ref", eval: (r, x) => sum(r.before, x, "share") },
  expectedShareBefore: { arg: "ref", eval: (r, x) => sum(r.before, x, "expectedShare") },
  countBefore: { arg: "ref", eval: (r, x) => sum(r.before, x, "count") },
  usersBefore: { arg: "ref", eval: (r, x) => sum(r.before, x, "users") },
  delta: { arg: "ref", eval: (r, x) => sum(r.after, x, "expectedShare") - sum(r.before, x, "expectedShare") },
  status: { arg: "code", eval: (r, x) => r.after.statuses[x] ?? 0 },
  statusBefore: { arg: "code", eval: (r, x) => r.before.statuses[x] ?? 0 },
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

function tokenize(src: string): Token[] {
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
      if (rest && Object.hasOwn(FUNCTIONS, name[0])) {
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

export function parseFailIf(src: string): FailIfParse {
  try {
    const tokens = tokenize(src);
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
        const fn = Object.hasOwn(FUNCTIONS, t.text) ? FUNCTIONS[t.text] : undefined;
        if (fn) {
          if (!isOp("(")) fail(`expected ( after ${t.text}`);
          pos++;
          const arg = peek();
          pos++;
          if (arg.text === "") throw new ParseError(`${t.text}() needs ${fn.arg === "ref" ? "a backend, e.g. ns/name" : "a status code"}`, arg.at + 1);
          if (fn.arg === "code" && !/^\d{3}$/.test(arg.text)) throw new ParseError(`${t.text}(${arg.text}): expected an HTTP status code`, arg.at + 1);
          if (fn.arg === "ref" && !/^(?:[^/\s]+\/)?[^/:\s]+(?::\d+)?$/.test(arg.text)) {
            throw new ParseError(`${t.text}(${arg.text}): expected namespace/name[:port]`, arg.at + 1);
          }
          if (!isOp(")")) fail("expected )");
          pos++;
          return { type: "call", name: t.text, arg: arg.text };
        }
        if (Object.hasOwn(NAMES, t.text)) return { type: "name", name: t.text };
        throw new ParseError(`unknown name ${t.text} (known: ${[...Object.keys(NAMES), ...Object.keys(FUNCTIONS).map((f) => `${f}()`)].join(", ")})`, t.at + 1);
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

function value(e: FailIfExpr, r: Ctx): number | boolean {
  switch (e.type) {
    case "number":
      return e.value;
    case "name":
      return NAMES[e.name]!(r);
    case "call":
      return FUNCTIONS[e.name]!.eval(r, e.arg);
    case "not":
      return !truthy(value(e.expr, r));
    case "neg":
      return -Number(value(e.expr, r));
    case "binary": {
      if (e.op === "&&") return truthy(value(e.left, r)) && truthy(value(e.right, r));
      if (e.op === "||") return truthy(value(e.left, r)) || truthy(value(e.right, r));
      const x = Number(value(e.left, r));
      const y = Number(value(e.right, r));
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

/** The backend refs an expression names (`share(REF)`, `delta(REF)`, ...), in order, once each. */
export function failIfRefs(expr: FailIfExpr): string[] {
  const refs = new Set<string>();
  const walk = (e: FailIfExpr): void => {
    if (e.type === "call" && FUNCTIONS[e.name]!.arg === "ref") refs.add(e.arg);
    if (e.type === "not" || e.type === "neg") walk(e.expr);
    if (e.type === "binary") (walk(e.left), walk(e.right));
  };
  walk(expr);
  return [...refs];
}

/**
 * The refs of an expression that match none of `known` (the backends both worlds can send to): a
 * condition on them is 0 in every report, so a gate on a misspelt backend would never fire.
 */
export function unknownFailIfRefs(expr: FailIfExpr, known: readonly BackendName[]): string[] {
  return failIfRefs(expr).filter((ref) => !known.some((b) => matches(ref, b)));
}

/** True when the condition holds (the gate fails). */
export function evaluateFailIf(expr: FailIfExpr, report: WhatifReport): boolean {
  return truthy(value(expr, report));
}

/** The value of an expression (for messages: `share(ns/canary) = 0.171`). */
export function evaluateFailIfValue(expr: FailIfExpr, report: WhatifReport): number | boolean {
  return value(expr, report);
}
