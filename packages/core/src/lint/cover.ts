/**
 * "Every request that matches B also matches A", decided from the two matches alone, never by
 * sampling. Sound (a true answer is always right) but not complete: a cover this cannot prove
 * (two regexes that happen to be equivalent, a union of several matches) is not reported.
 * Definitions follow decide/match.ts, so the answer agrees with what `decide` does.
 */
import type { CompiledGrpcMatch, CompiledMatch } from "../compile/table.js";
import { prefixKey } from "../compile/index.js";
import type { HTTPHeaderMatch } from "../resolve/graph.js";
import { compileRegex } from "../model/regex.js";

/** Regexes that match every string, the empty one included. */
const UNIVERSAL_REGEXES = new Set([".*", "(.*)", "^.*$", "(?:.*)"]);

/** Regexes that match every request path (paths always start with `/` and are never empty). */
const UNIVERSAL_PATH_REGEXES = new Set([".*", "/.*", ".+", "(.*)", "/(.*)", "^.*$", "^/.*$"]);

function fullMatch(pattern: string, value: string): boolean {
  const r = compileRegex(pattern);
  return r.ok && r.regex.test(value);
}

/** Whether every path that `inner` matches is also matched by `outer`. */
export function pathCovers(outer: CompiledMatch["path"], inner: CompiledMatch["path"]): boolean {
  switch (outer.type) {
    case "Exact":
      return inner.type === "Exact" && inner.value === outer.value;
    case "PathPrefix": {
      const key = prefixKey(outer.value);
      if (key === "") return true;
      if (inner.type === "Exact") return inner.value === key || inner.value.startsWith(`${key}/`);
      if (inner.type === "PathPrefix") {
        const k = prefixKey(inner.value);
        return k === key || k.startsWith(`${key}/`);
      }
      return false;
    }
    case "RegularExpression":
      if (UNIVERSAL_PATH_REGEXES.has(outer.value)) return true;
      if (inner.type === "Exact") return fullMatch(outer.value, inner.value);
      return inner.type === "RegularExpression" && inner.value === outer.value;
    default:
      return false;
  }
}

/** Whether `inner`'s condition list implies `outer`'s condition on the same name. */
function conditionImplied(outer: HTTPHeaderMatch, inner: readonly HTTPHeaderMatch[]): boolean {
  return inner.some((c) => {
    if (c.name !== outer.name) return false;
    if (outer.type === "Exact") return c.type === "Exact" && c.value === outer.value;
    if (c.type === "RegularExpression") return c.value === outer.value;
    return fullMatch(outer.value, c.value);
  });
}

/** Method, header and query conditions of `outer` all implied by `inner`'s. */
export function conditionsCover(outer: CompiledMatch, inner: CompiledMatch): boolean {
  if (outer.method !== null && outer.method !== inner.method) return false;
  return outer.headers.every((h) => conditionImplied(h, inner.headers)) && outer.queryParams.every((q) => conditionImplied(q, inner.queryParams));
}

/** Every request `inner` matches, `outer` matches too. */
export function matchCovers(outer: CompiledMatch, inner: CompiledMatch): boolean {
  if (outer.never !== null || inner.never !== null) return false;
  return pathCovers(outer.path, inner.path) && conditionsCover(outer, inner);
}

/** Same conditions, written the same way (after compile's normalization). */
export function sameConditions(a: CompiledMatch, b: CompiledMatch): boolean {
  const key = (list: readonly HTTPHeaderMatch[]) =>
    list
      .map((h) => `${h.type}\u0000${h.name}\u0000${h.value}`)
      .sort()
      .join("\u0001");
  const path = (m: CompiledMatch) => (m.path.type === "PathPrefix" ? `P${prefixKey(m.path.value)}` : `${m.path.type[0]}${m.path.value}`);
  return path(a) === path(b) && a.method === b.method && key(a.headers) === key(b.headers) && key(a.queryParams) === key(b.queryParams);
}

/** The match written as a short phrase: `PathPrefix /api, method GET, header x=1`. */
export function describeMatch(m: CompiledMatch): string {
  const parts = [`${m.path.type} ${m.path.value}`];
  if (m.method) parts.push(`method ${m.method}`);
  for (const h of m.headers) parts.push(`header ${h.name}${h.type === "Exact" ? "=" : " ~ "}${h.value}`);
  for (const q of m.queryParams) parts.push(`query ${q.name}${q.type === "Exact" ? "=" : " ~ "}${q.value}`);
  return parts.join(", ");
}

/**
 * GRPCRoute: every call `inner` matches, `outer` matches too (decide/grpc.ts grpcMatches). A part
 * (service, method) outer leaves out matches anything; an Exact part needs the same Exact value
 * in inner; a RegularExpression part, the same pattern or an Exact value it matches whole.
 */
export function grpcMatchCovers(outer: CompiledGrpcMatch, inner: CompiledGrpcMatch): boolean {
  if (outer.never !== null || inner.never !== null) return false;
  const om = outer.method;
  if (om !== null) {
    const im = inner.method;
    const oRegex = om.type === "RegularExpression";
    const iRegex = im?.type === "RegularExpression";
    const part = (o: string | undefined, i: string | undefined): boolean => {
      if (o === undefined) return true;
      // A regex that matches every string (the empty one included) leaves the part free.
      if (oRegex && UNIVERSAL_REGEXES.has(o)) return true;
      if (i === undefined) return false;
      if (!oRegex) return !iRegex && i === o;
      return iRegex ? i === o : fullMatch(o, i);
    };
    if (!part(om.service ?? undefined, im?.service ?? undefined) || !part(om.method ?? undefined, im?.method ?? undefined)) return false;
  }
  return outer.headers.every((h) => conditionImplied(h, inner.headers));
}

/** GRPCRoute matches with the same conditions, written the same way. */
export function sameGrpcConditions(a: CompiledGrpcMatch, b: CompiledGrpcMatch): boolean {
  const method = (m: CompiledGrpcMatch) => (m.method ? `${m.method.type ?? "Exact"}\u0000${m.method.service ?? ""}\u0000${m.method.method ?? ""}` : "");
  const key = (list: readonly HTTPHeaderMatch[]) =>
    list
      .map((h) => `${h.type}\u0000${h.name}\u0000${h.value}`)
      .sort()
      .join("\u0001");
  return method(a) === method(b) && key(a.headers) === key(b.headers);
}
