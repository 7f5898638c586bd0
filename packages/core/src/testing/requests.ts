/**
 * fast-check arbitraries of requests that exercise a world: entry points, hosts, paths, methods,
 * headers and query params drawn from the world's own vocabulary, then bent at the boundaries
 * matching depends on (trailing slashes, `/api` vs `/apix`, case, percent-encoding, dot
 * segments, repeated slashes, header and query values that just match or just miss).
 * Every choice shrinks toward the plain word, so a counterexample ends up short.
 */
import fc from "fast-check";
import type { GatewayRequest } from "../model/request.js";
import type { World } from "../world.js";
import { matchesPattern, normalizedPrefix, underPrefix, type RequestPattern } from "./targets.js";
import { expandHost, vocabularyOf, type EntryPoint, type Vocabulary } from "./vocabulary.js";

/** Ways a path is bent; "none" first so shrinking returns to the plain path. */
export const PATH_MUTATIONS = [
  "none",
  "trailing-slash",
  "segment-suffix",
  "segment-truncate",
  "upper-case",
  "percent-encode",
  "percent-encode-lower",
  "encoded-slash",
  "dot-segment",
  "dot-dot-segment",
  "double-slash",
  "traversal",
] as const;
export type PathMutation = (typeof PATH_MUTATIONS)[number];

export interface RequestArbitraryOptions {
  /** Most query params per request (default 2). */
  maxQueryParams?: number;
  /** Most headers per request, besides the pattern's (default 3). */
  maxHeaders?: number;
}

/**
 * Requests that exercise `world` (or several worlds: their vocabularies are merged, for
 * comparing configurations). With a pattern, every request belongs to it (`matchesPattern`).
 */
export function requests(world: World | readonly World[], pattern: RequestPattern = {}, options: RequestArbitraryOptions = {}): fc.Arbitrary<GatewayRequest> {
  const worlds = Array.isArray(world) ? (world as readonly World[]) : [world as World];
  const vocab = vocabularyOf(worlds);
  const arb = fc
    .record({
      entry: entryArb(vocab, pattern),
      host: hostArb(vocab, pattern),
      path: pathArb(vocab, pattern),
      query: fc.array(wordArb(vocab.queries), { maxLength: vocab.queries.length ? (options.maxQueryParams ?? 2) : 0 }),
      method: pattern.method ? fc.constant(pattern.method.toUpperCase()) : fc.constantFrom(...vocab.methods),
      headers: fc.array(fc.tuple(wordArb(vocab.headers), fc.boolean()), { maxLength: vocab.headers.length ? (options.maxHeaders ?? 3) : 0 }),
    })
    .map(({ entry, host, path, query, method, headers }) => {
      const r: GatewayRequest = { gateway: entry.gateway, port: entry.port, scheme: entry.scheme, host, method, path: query.length ? `${path}?${query.map(([n, v]) => `${encodeQ(n)}=${encodeQ(v)}`).join("&")}` : path };
      const h: Record<string, string | string[]> = {};
      for (const [[name, value], capital] of headers) {
        const key = capital ? name.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase()) : name;
        const prev = h[key];
        h[key] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
      }
      for (const [name, value] of Object.entries(pattern.headers ?? {})) {
        for (const k of Object.keys(h)) if (k.toLowerCase() === name.toLowerCase()) delete h[k];
        h[name] = value;
      }
      if (Object.keys(h).length) r.headers = h;
      return r;
    });
  return isEmpty(pattern) ? arb : arb.filter((r) => matchesPattern(pattern, r));
}

function isEmpty(p: RequestPattern): boolean {
  return Object.values(p).every((v) => v === undefined);
}

const encodeQ = (s: string) => s.replace(/[^A-Za-z0-9\-._~!$'()*+,;:@/?]/g, (c) => encodeURIComponent(c));

function entryArb(vocab: Vocabulary, p: RequestPattern): fc.Arbitrary<EntryPoint> {
  const fits = vocab.entries.filter(
    (e) => (p.gateway === undefined || e.gateway === qualified(p.gateway)) && (p.port === undefined || e.port === p.port) && (p.scheme === undefined || e.scheme === p.scheme),
  );
  if (fits.length) return fc.constantFrom(...fits);
  const base = vocab.entries[0];
  const scheme = p.scheme ?? base?.scheme ?? "http";
  return fc.constant({ gateway: qualified(p.gateway ?? base?.gateway ?? "default/gateway"), port: p.port ?? base?.port ?? (scheme === "https" ? 443 : 80), scheme });
}

function qualified(ref: string): string {
  return ref.includes("/") ? ref : `default/${ref}`;
}

/** A host, then how it is written: as is, in capitals, with the port (each the same host to the gateway). */
function hostArb(vocab: Vocabulary, p: RequestPattern): fc.Arbitrary<string> {
  let hosts = vocab.hosts;
  if (p.host !== undefined) {
    const want = p.host.toLowerCase();
    if (want.startsWith("*.")) {
      const suffix = want.slice(1);
      const under = vocab.hosts.filter((h) => h.endsWith(suffix) && h.length > suffix.length);
      hosts = [...new Set([...expandHost(want).filter((h) => h.endsWith(suffix) && h.length > suffix.length), ...under])];
    } else hosts = [want];
  }
  return fc
    .tuple(fc.constantFrom(...hosts), fc.constantFrom("as-is", "upper-case", "with-port"))
    .map(([h, how]) => (how === "upper-case" ? h.toUpperCase() : how === "with-port" ? `${h}:80` : h));
}

function pathArb(vocab: Vocabulary, p: RequestPattern): fc.Arbitrary<string> {
  let bases = vocab.paths;
  if (p.path !== undefined) {
    const prefix = normalizedPrefix(p.path);
    const under = vocab.paths.filter((x) => underPrefix(x, prefix));
    bases = [...new Set([prefix, ...under])];
  }
  return fc
    .record({
      base: fc.constantFrom(...bases),
      children: fc.array(fc.constantFrom(...vocab.segments), { maxLength: 2 }),
      mutation: fc.constantFrom(...PATH_MUTATIONS),
    })
    .map(({ base, children, mutation }) => mutatePath(join(base, children), mutation));
}

function join(base: string, children: string[]): string {
  if (children.length === 0) return base;
  return `${base.endsWith("/") ? base : `${base}/`}${children.join("/")}`;
}

/** One mutation of a path; each keeps the path absolute. */
export function mutatePath(path: string, m: PathMutation): string {
  const cut = path.lastIndexOf("/");
  const head = path.slice(0, cut + 1);
  const last = path.slice(cut + 1);
  switch (m) {
    case "none":
      return path;
    case "trailing-slash":
      return path.endsWith("/") ? path.slice(0, -1) || "/" : `${path}/`;
    case "segment-suffix":
      return last ? `${path}x` : path.length > 1 ? `${path.slice(0, -1)}x/` : "/x";
    case "segment-truncate":
      return last.length > 1 ? path.slice(0, -1) : path;
    case "upper-case":
      return head + last.toUpperCase();
    case "percent-encode":
      return encodeOne(path, true);
    case "percent-encode-lower":
      return encodeOne(path, false);
    case "encoded-slash":
      return cut > 0 ? `${path.slice(0, cut)}%2F${last}` : path;
    case "dot-segment":
      return `${head}./${last}`;
    case "dot-dot-segment":
      return `${head}x/../${last}`;
    case "double-slash":
      return `${head}/${last}`;
    case "traversal":
      return `/x/..${path}`;
  }
}

/**
 * One unreserved character percent-encoded, which the gateway decodes back (RFC 3986 §6.2.2.2):
 * the same path for routing. Never a `/` (an encoded slash is its own mutation, it changes the
 * segments). Lower-case hex prefers a character whose escape has a letter (`o` is `%6f`), so it
 * differs from the upper-case form; both prefer the last segment.
 */
function encodeOne(path: string, upper: boolean): string {
  const cut = path.lastIndexOf("/");
  const at: number[] = [];
  for (let i = 0; i < path.length; i++) if (/[A-Za-z0-9\-._~]/.test(path[i]!)) at.push(i);
  const letterHex = (i: number) => /[a-f]/.test(path.charCodeAt(i).toString(16));
  const preferences: ((i: number) => boolean)[] = upper ? [(i) => i > cut, () => true] : [(i) => i > cut && letterHex(i), letterHex, (i) => i > cut, () => true];
  for (const want of preferences) {
    const i = at.find(want);
    if (i !== undefined) return `${path.slice(0, i)}${escape(path[i]!, upper)}${path.slice(i + 1)}`;
  }
  return path;
}

function escape(c: string, upper: boolean): string {
  const hex = c.charCodeAt(0).toString(16).padStart(2, "0");
  return `%${upper ? hex.toUpperCase() : hex}`;
}

/** A name with one of its values (values come matching-first, so shrinking prefers a match). */
function wordArb(words: Vocabulary["headers"]): fc.Arbitrary<[string, string]> {
  const pairs = words.flatMap((w) => (w.values.length ? w.values : [""]).map((v) => [w.name, v] as [string, string]));
  return pairs.length ? fc.constantFrom(...pairs) : fc.constant(["x-gwsim", "1"]);
}
