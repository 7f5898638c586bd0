/**
 * Evaluating one HTTPRouteMatch against a request, fast (boolean) and slow (with the reason
 * each condition missed, for `explain`). Both read the same definitions:
 * - path: on the normalized path (normalize.ts), case-sensitive; Exact is equality; PathPrefix
 *   is element-wise with one trailing `/` of the value ignored; RegularExpression is a full
 *   match in gwsim's dialect (model/regex.ts);
 * - method: equality with the request method (upper-cased);
 * - headers: names case-insensitive; a header sent several times is matched as its values
 *   joined with "," in the order sent (RFC 9110 §5.3; normalize.ts headerValue);
 * - query params: names exact; when a param repeats, the first value counts (the spec's
 *   recommendation; normalize.ts queryValue).
 */
import type { CompiledMatch } from "../compile/table.js";
import { prefixKey } from "../compile/index.js";
import { headerValue, parseQuery, queryValue, type Headers, type QueryParams } from "./normalize.js";
import type { MatchRuntime, ValueTest } from "./runtime.js";
import { NO_HEADERS } from "./request.js";

export interface MatchInput {
  path: string;
  query: string;
  method: string;
  /** Lower-case names, as sent. */
  headers: Headers;
  /** The Host as sent (a header match on `host` sees it), or undefined. */
  host: string | undefined;
  /** Parsed on first use. */
  params: QueryParams | null;
}

export function pathMatches(m: CompiledMatch, rt: MatchRuntime, path: string): boolean {
  switch (m.path.type) {
    case "Exact":
      return path === m.path.value;
    case "PathPrefix": {
      const key = prefixKey(m.path.value);
      return path === key || path.startsWith(key + "/");
    }
    case "RegularExpression":
      return rt.pathRegex !== null && rt.pathRegex.test(path);
    default:
      return false;
  }
}

function paramsOf(input: MatchInput): QueryParams {
  return (input.params ??= parseQuery(input.query));
}

/** A header's value for matching; `host` is the request's Host/:authority. */
export function headerFor(input: MatchInput, name: string): string | undefined {
  return name === "host" && input.host !== undefined ? input.host : headerValue(input.headers, name);
}

export function valuePasses(t: ValueTest, v: string | undefined): boolean {
  if (v === undefined) return false;
  return t.regex !== null ? t.regex.test(v) : t.type === "Exact" && v === t.value;
}

/**
 * headerFor for a header test: its `key` is the name lower-case, so a header sent once is read
 * straight from the request's headers; anything else goes through headerValue, the definition.
 */
function testedHeader(input: MatchInput, t: ValueTest): string | undefined {
  if (t.name === "host" && input.host !== undefined) return input.host;
  const v = input.headers[t.key];
  return typeof v === "string" ? v : v === undefined ? undefined : headerValue(input.headers, t.key);
}

function headersAndQueryPass(rt: MatchRuntime, input: MatchInput): boolean {
  for (const h of rt.headers) if (!valuePasses(h, testedHeader(input, h))) return false;
  if (rt.queryParams.length > 0) {
    const params = paramsOf(input);
    for (const q of rt.queryParams) if (!valuePasses(q, queryValue(params, q.name))) return false;
  }
  return true;
}

/** Everything but the path (the caller found the match in a path bucket). */
export function conditionsMatch(m: CompiledMatch, rt: MatchRuntime, input: MatchInput): boolean {
  if (rt.pathOnly) return true;
  if (m.method !== null && m.method !== input.method) return false;
  return headersAndQueryPass(rt, input);
}

/** conditionsMatch of a match's runtime entry (which carries its method). */
export function entryConditionsMatch(e: MatchRuntime, input: MatchInput): boolean {
  if (e.pathOnly) return true;
  if (e.method !== null && e.method !== input.method) return false;
  const key = e.soleHeaderKey;
  if (key !== null) {
    // headersAndQueryPass for one Exact header test, from the entry's own fields.
    if (e.soleHeaderIsHost && input.host !== undefined) return input.host === e.soleHeaderValue;
    // A request without headers has none to find.
    if (input.headers === NO_HEADERS) return false;
    const v = input.headers[key];
    return typeof v === "string" ? v === e.soleHeaderValue : v !== undefined && headerValue(input.headers, key) === e.soleHeaderValue;
  }
  return headersAndQueryPass(e, input);
}

export function fullMatch(m: CompiledMatch, rt: MatchRuntime, input: MatchInput): boolean {
  return m.never === null && pathMatches(m, rt, input.path) && conditionsMatch(m, rt, input);
}

export interface MissReport {
  pathOk: boolean;
  /** Conditions that held, out of `total`. */
  passed: number;
  total: number;
  failures: string[];
}

const show = (v: string): string => JSON.stringify(v);
/**
 * An expected value as written in the manifest: a regular expression between quotes as is, since
 * JSON escaping would double its backslashes (`"v\\d"` reads as a different pattern than `v\d`).
 */
export const showExpected = (v: string, regex: boolean): string => (regex ? `"${v}"` : show(v));

/**
 * A RegularExpression path that would match but for the leading `/`: every request path starts
 * with one and the pattern must match the whole path (gwsim's full-match choice, decisions.md),
 * so a pattern written without it (`api/v[0-9]+/.*`) can never match anything.
 */
function regexPathHint(m: CompiledMatch, rt: MatchRuntime, path: string): string {
  if (m.path.type !== "RegularExpression" || rt.pathRegex === null || !path.startsWith("/")) return "";
  return rt.pathRegex.test(path.slice(1)) ? " (it matches the path without its leading /, which every request path has: start the pattern with /)" : "";
}

/** Why a match did not match, condition by condition. */
export function explainMiss(m: CompiledMatch, rt: MatchRuntime, input: MatchInput): MissReport {
  const failures: string[] = [];
  let passed = 0;
  let total = 0;
  if (m.never !== null) failures.push(`can never match: ${m.never}`);
  total++;
  const pathOk = m.never === null && pathMatches(m, rt, input.path);
  if (pathOk) passed++;
  else failures.push(`path ${m.path.type} ${m.path.value} does not match ${input.path}${regexPathHint(m, rt, input.path)}`);
  if (m.method !== null) {
    total++;
    if (m.method === input.method) passed++;
    else failures.push(`method ${m.method} expected, got ${input.method}`);
  }
  for (const h of rt.headers) {
    total++;
    const v = headerFor(input, h.name);
    if (valuePasses(h, v)) passed++;
    else failures.push(`header ${h.name}${h.regex ? " ~ " : "="}${showExpected(h.value, h.regex !== null)} expected, got ${v === undefined ? "none" : show(v)}`);
  }
  for (const q of rt.queryParams) {
    total++;
    const v = queryValue(paramsOf(input), q.name);
    if (valuePasses(q, v)) passed++;
    else failures.push(`query param ${q.name}${q.regex ? " ~ " : "="}${showExpected(q.value, q.regex !== null)} expected, got ${v === undefined ? "none" : show(v)}`);
  }
  return { pathOk, passed, total, failures };
}
