/**
 * The two sides of a routing property: which requests (a RequestPattern) and which backends
 * (a BackendTarget), and what "a request reaches a backend" means for a Decision.
 */
import { hostMatches } from "../compile/hostname.js";
import { headerValue, lowerCaseHeaders, normalizePath, parseQuery, queryValue } from "../decide/normalize.js";
import { splitHostPort } from "../decide/normalize.js";
import type { BackendId, Decision } from "../model/decision.js";
import type { GatewayRequest } from "../model/request.js";

/**
 * A set of requests, by what they carry. Every field is optional; a request belongs to the set
 * when it has all the fields given:
 * - `host`: the Host as the gateway compares it (case-insensitive, port ignored); `*.example.com`
 *   means any host under example.com;
 * - `path`: a path prefix, element-wise as PathPrefix matches (`/admin` takes `/admin` and
 *   `/admin/x`, not `/administrator`), on the path as the gateway normalizes it (so
 *   `/public/../admin` is under `/admin`);
 * - `headers`: exact values (names case-insensitive); `true` for present with any value.
 */
export interface RequestPattern {
  gateway?: string;
  port?: number;
  scheme?: "http" | "https";
  host?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string | true>;
  /**
   * Query parameters every request carries: an exact value, or `true` for any value. Names are
   * case-sensitive and the first occurrence counts, as decide reads them.
   */
  query?: Record<string, string | true>;
}

/**
 * Backends: `"ns/name"`, `"ns/name:port"`, globs with `*` (`"ns/*"`, `"shop/api-*"`), an object
 * of the fields to compare, or a predicate.
 */
export type BackendTarget = string | { namespace?: string; name?: string; port?: number; kind?: string } | ((backend: BackendId) => boolean);

const glob = (pattern: string): RegExp => new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);

/** A BackendTarget as a predicate. */
export function backendMatcher(target: BackendTarget): (b: BackendId) => boolean {
  if (typeof target === "function") return target;
  if (typeof target === "string") {
    const m = /^([^/]+)\/([^:]+)(?::(\d+))?$/.exec(target.trim());
    if (!m) throw new TypeError(`backend target ${JSON.stringify(target)} is not "namespace/name" or "namespace/name:port"`);
    const ns = glob(m[1]!);
    const name = glob(m[2]!);
    const port = m[3] === undefined ? null : Number(m[3]);
    return (b) => b.kind === "Service" && ns.test(b.namespace) && name.test(b.name) && (port === null || b.port === port);
  }
  return (b) =>
    (target.namespace === undefined || glob(target.namespace).test(b.namespace)) &&
    (target.name === undefined || glob(target.name).test(b.name)) &&
    (target.port === undefined || b.port === target.port) &&
    (target.kind === undefined ? b.kind === "Service" : b.kind === target.kind);
}

export function describeTarget(target: BackendTarget): string {
  if (typeof target === "function") return target.name ? `backends satisfying ${target.name}` : "the backends the predicate selects";
  if (typeof target === "string") return target;
  return Object.entries(target)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(", ");
}

export function backendText(b: BackendId): string {
  const kind = b.group === "" && b.kind === "Service" ? "" : `${b.kind}${b.group ? `.${b.group}` : ""} `;
  return `${kind}${b.namespace}/${b.name}${b.port !== null ? `:${b.port}` : ""}`;
}

/** Whether a request belongs to a pattern (see RequestPattern for what each field means). */
export function matchesPattern(pattern: RequestPattern, r: GatewayRequest): boolean {
  if (pattern.gateway !== undefined && qualified(r.gateway ?? "") !== qualified(pattern.gateway)) return false;
  const scheme = r.scheme ?? "http";
  if (pattern.scheme !== undefined && scheme !== pattern.scheme) return false;
  if (pattern.port !== undefined && (r.port ?? (scheme === "https" ? 443 : 80)) !== pattern.port) return false;
  if (pattern.method !== undefined && (r.method ?? "GET").toUpperCase() !== pattern.method.toUpperCase()) return false;
  if (pattern.host !== undefined) {
    const split = splitHostPort(r.host ?? "");
    if (!split.ok || !hostMatches(pattern.host.toLowerCase(), split.host)) return false;
  }
  if (pattern.path !== undefined) {
    const norm = normalizePath(r.path ?? "/");
    if (!norm.ok || !underPrefix(norm.path, normalizedPrefix(pattern.path))) return false;
  }
  if (pattern.headers) {
    const headers = lowerCaseHeaders(r.headers);
    for (const [name, value] of Object.entries(pattern.headers)) {
      const got = headerValue(headers, name);
      if (value === true ? got === undefined : got !== value) return false;
    }
  }
  if (pattern.query) {
    const raw = r.path ?? "/";
    const at = raw.indexOf("?");
    const params = parseQuery(at < 0 ? "" : raw.slice(at + 1));
    for (const [name, value] of Object.entries(pattern.query)) {
      const got = queryValue(params, name);
      if (value === true ? got === undefined : got !== value) return false;
    }
  }
  return true;
}

/** A pattern's path in the form request paths are compared in (`/%41` is `/A`); it must start with `/`. */
export function normalizedPrefix(prefix: string): string {
  const norm = normalizePath(prefix);
  if (!prefix.startsWith("/") || !norm.ok) throw new TypeError(`request pattern path ${JSON.stringify(prefix)} must be an absolute path such as "/admin"`);
  return norm.path;
}

/** Element-wise prefix, as PathPrefix matches (a trailing `/` of the prefix is ignored). */
export function underPrefix(path: string, prefix: string): boolean {
  const key = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  return key === "" || path === key || path.startsWith(`${key}/`);
}

function qualified(ref: string): string {
  return ref.includes("/") ? ref : `default/${ref}`;
}

export interface Reach {
  /** Backends that receive the request for some draw of the split: valid, with a share above 0. */
  backends: BackendId[];
  /** Backends that receive a copy (RequestMirror). */
  mirrors: BackendId[];
}

/**
 * What a decision sends to backends, over every draw of its split (the decision's `backends`
 * carries the whole split; `backend` is just the seeded draw). A rule-level redirect, fixed
 * response or error reaches nothing; an invalid backend answers 500 for its share and is not
 * reached; a backend whose own filters answered (the drawn one, when the outcome is not
 * `forward`) is not reached either.
 */
export function reachOf(d: Decision): Reach {
  if (d.route === null || ((d.outcome !== "forward") && d.backend === null)) return { backends: [], mirrors: [] };
  const answered = d.outcome !== "forward" && d.backend ? key(d.backend) : null;
  const backends = d.backends.filter((b) => b.valid && b.probability > 0 && key(b) !== answered).map(idOf);
  const mirrors = (d.mirrors ?? []).filter((m) => m.valid !== false && m.percent > 0).map((m) => idOf(m.backend));
  return { backends, mirrors };
}

const key = (b: BackendId) => `${b.group}/${b.kind}/${b.namespace}/${b.name}/${b.port}`;
const idOf = (b: BackendId): BackendId => ({ group: b.group, kind: b.kind, namespace: b.namespace, name: b.name, port: b.port });

/**
 * The probability that a decision sends its request to backends matching `target`: the shares of
 * its split that `reachOf` counts as reached (so 0 for an invalid backend, a redirect or a 404).
 * For caps such as "the canary never gets more than 10%".
 */
export function shareOf(d: Decision, target: BackendTarget): number {
  const hit = backendMatcher(target);
  const reached = new Set(reachOf(d).backends.map(key));
  return d.backends.filter((b) => reached.has(key(b)) && hit(b)).reduce((sum, b) => sum + b.probability, 0);
}
