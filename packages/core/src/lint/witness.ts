/**
 * Concrete requests a match takes, built from its own conditions (never sampled at random), and
 * checked with decide's own matching. A tie between two identical matches is reported as a
 * conflict only when it decides something: when no witness of the pair gets past the matches
 * earlier in the group, the pair is shadowed (by a regex or a union lint cannot prove covers it),
 * so the age or name order changes nothing, and the losing match is plainly unreachable.
 */
import { prefixKey } from "../compile/index.js";
import type { CompiledGrpcMatch, CompiledMatch, RouteTable } from "../compile/table.js";
import { grpcMatches, type GrpcInput } from "../decide/grpc.js";
import { fullMatch, type MatchInput } from "../decide/match.js";
import { normalizePath } from "../decide/normalize.js";
import { runtimeOf } from "../decide/runtime.js";
import type { HTTPHeaderMatch } from "../resolve/graph.js";
import { compileRegex } from "../model/regex.js";
import { literalStart, literalTail } from "./regex-literals.js";

/** Most witnesses tried per match: the conditions' choices multiply. */
const MAX_WITNESSES = 64;

/** Strings a regex fully matches, from its literal start and tail; [] when none of the tries fits. */
export function regexValues(pattern: string, lead: string): string[] {
  const r = compileRegex(pattern);
  if (!r.ok) return [];
  const start = literalStart(pattern);
  const tail = literalTail(pattern);
  const stem = start || lead;
  const tries = [start, stem, `${stem}a`, `${stem}1`, `${stem}a/b`, `${stem}${tail}`, `${stem}a${tail}`, `${stem}1${tail}`, `${stem}/a`, `${stem}v1`, `${stem}v1/a`, `${lead}a`, `${lead}1`, lead];
  for (const many of [false, true]) {
    const built = simplestMatch(pattern, many);
    if (built !== null) tries.push(built);
  }
  return [...new Set(tries)].filter((s) => r.regex.test(s));
}

/**
 * A string the regex probably matches, built by walking it: literals as written, `.` and `\w` as
 * `a`, `\d` as `1`, a class as its first character, a group as its first alternative, `*`/`?`
 * as none (or one, with `many`), `+` and `{n,...}` as the fewest. Null for what it does not read
 * (a negated class, an unknown escape); the caller checks the result against the regex anyway.
 */
export function simplestMatch(pattern: string, many = false): string | null {
  let i = pattern.startsWith("^") ? 1 : 0;
  const atom = (): string | null => {
    const c = pattern[i]!;
    if (c === "\\") {
      const n = pattern[i + 1];
      i += 2;
      if (n === undefined) return null;
      if (n === "d") return "1";
      if (n === "w") return "a";
      if (n === "s") return " ";
      return /[^A-Za-z0-9]/.test(n) ? n : null;
    }
    if (c === ".") return (i++, "a");
    if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0 || pattern[i + 1] === "^") return null;
      const first = pattern[i + 1] === "\\" ? pattern[i + 2]! : pattern[i + 1]!;
      i = end + 1;
      return /[A-Za-z0-9]/.test(first) || !/[dws]/.test(first) ? first : null;
    }
    if (c === "(") {
      i += pattern.startsWith("(?:", i) ? 3 : 1;
      const inner = sequence(")");
      if (pattern[i] !== ")") return null;
      i++;
      return inner;
    }
    if ("*+?{|)$".includes(c)) return null;
    return (i++, c);
  };
  // A sequence up to `close` (or the end): the first alternative of it.
  const sequence = (close: string): string | null => {
    let out = "";
    while (i < pattern.length && pattern[i] !== close) {
      if (pattern[i] === "|") {
        // Skip the other alternatives: to the matching close at this depth.
        let depth = 0;
        while (i < pattern.length && !(depth === 0 && pattern[i] === close)) {
          if (pattern[i] === "\\") i++;
          else if (pattern[i] === "(") depth++;
          else if (pattern[i] === ")") depth--;
          i++;
        }
        break;
      }
      if (pattern[i] === "$" && i === pattern.length - 1) {
        i++;
        break;
      }
      const a = atom();
      if (a === null) return null;
      const q = pattern[i];
      if (q === "*" || q === "?") {
        i++;
        if (pattern[i] === "?") i++;
        if (many) out += a;
      } else if (q === "+") {
        i++;
        if (pattern[i] === "?") i++;
        out += a;
      } else if (q === "{") {
        const m = /^\{(\d+)(,\d*)?\}/.exec(pattern.slice(i));
        if (!m) return null;
        i += m[0].length;
        out += a.repeat(Number(m[1]));
      } else out += a;
    }
    return out;
  };
  const result = sequence("\u0000");
  return i >= pattern.length ? result : null;
}

/** A path decide can present: normalized (starts with `/`, no `//`, no dot segment, ASCII). */
function isDecidablePath(p: string): boolean {
  const n = normalizePath(p);
  return n.ok && n.path === p && n.query === "" && !p.includes("?") && !p.includes("#");
}

function pathWitnesses(path: CompiledMatch["path"]): string[] {
  if (path.type === "Exact") return [path.value];
  if (path.type === "PathPrefix") {
    const key = prefixKey(path.value);
    return [...new Set([key || "/", `${key}/`, `${key}/lint-witness`])];
  }
  return regexValues(path.value, "/").filter(isDecidablePath);
}

function valueWitnesses(c: HTTPHeaderMatch): string[] {
  // eslint-disable-next-line no-control-regex
  return c.type === "Exact" ? [c.value] : regexValues(c.value, "").filter((v) => !/[\u0000-\u001f\u007f]/.test(v));
}

/** The cartesian product of the choices, at most `max` combinations. */
function product<T>(lists: readonly (readonly T[])[], max: number): T[][] {
  let out: T[][] = [[]];
  for (const list of lists) {
    const next: T[][] = [];
    for (const prefix of out) for (const item of list) if (next.length < max) next.push([...prefix, item]);
    out = next;
  }
  return out;
}

const pairs = (conds: readonly HTTPHeaderMatch[]) => product(conds.map((c) => valueWitnesses(c).map((v) => [c.name, v] as const)), MAX_WITNESSES);

/** Requests `m` takes. A method the match leaves free is LINT (no match names it) or GET. */
export function httpWitnesses(m: CompiledMatch): MatchInput[] {
  const out: MatchInput[] = [];
  const methods = m.method ? [m.method] : ["LINT", "GET"];
  for (const path of pathWitnesses(m.path))
    for (const method of methods)
      for (const headers of pairs(m.headers))
        for (const query of pairs(m.queryParams)) {
          if (out.length >= MAX_WITNESSES) return out;
          out.push({
            path,
            query: query.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`).join("&"),
            method,
            headers: Object.fromEntries(headers),
            host: undefined,
            params: null,
          });
        }
  return out;
}

/** gRPC calls `m` takes: a part the match leaves free gets a name no match is likely to name. */
export function grpcWitnesses(m: CompiledGrpcMatch): GrpcInput[] {
  const regex = m.method?.type === "RegularExpression";
  const part = (value: string | null | undefined, free: string) => (value ? (regex ? regexValues(value, "").filter((v) => v !== "" && !v.includes("/")) : [value]) : [free]);
  const out: GrpcInput[] = [];
  for (const service of part(m.method?.service, "lint.Witness"))
    for (const method of part(m.method?.method, "Witness"))
      for (const headers of pairs(m.headers)) {
        if (out.length >= MAX_WITNESSES) return out;
        out.push({ path: `/${service}/${method}`, query: "", method: "POST", headers: Object.fromEntries(headers), host: undefined, params: null, service, grpcMethod: method });
      }
  return out;
}

/**
 * Whether some witness of match `mi` is taken by none of `earlier` (match indices ahead of it in
 * a group): true, proven; false, every witness is taken earlier (`takenBy`: the match that took
 * the first); null, no witness could be built.
 */
export interface WitnessCheck {
  passes: boolean | null;
  takenBy: number | null;
}

function check<I>(witnesses: I[], own: (i: I) => boolean, earlier: readonly number[], takes: (e: number, i: I) => boolean): WitnessCheck {
  const mine = witnesses.filter(own);
  if (mine.length === 0) return { passes: null, takenBy: null };
  if (mine.some((i) => earlier.every((e) => !takes(e, i)))) return { passes: true, takenBy: null };
  return { passes: false, takenBy: earlier.find((e) => takes(e, mine[0]!)) ?? null };
}

export function httpWitnessPasses(table: RouteTable, mi: number, earlier: readonly number[]): WitnessCheck {
  const rt = runtimeOf(table);
  const m = table.matches[mi]!;
  return check(httpWitnesses(m), (i) => fullMatch(m, rt.matches[mi]!, { ...i, params: null }), earlier, (e, i) => fullMatch(table.matches[e]!, rt.matches[e]!, { ...i, params: null }));
}

export function grpcWitnessPasses(table: RouteTable, mi: number, earlier: readonly number[]): WitnessCheck {
  const rt = runtimeOf(table);
  const matches = table.grpcMatches ?? [];
  const m = matches[mi]!;
  return check(grpcWitnesses(m), (i) => grpcMatches(m, rt.grpcMatches[mi]!, i), earlier, (e, i) => grpcMatches(matches[e]!, rt.grpcMatches[e]!, i));
}
