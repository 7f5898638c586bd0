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
import { compileRegex } from "../model/regex.js";
import { encodeQuery, expandHost, grpcPartSendable, headerValueSendable, pathStable, queryValueSendable, regexSamples, vocabularyOf, type EntryPoint, type GrpcTarget, type MatchTarget, type Vocabulary } from "./vocabulary.js";

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
  checkPatternGateway(worlds, pattern);
  const vocab = vocabularyOf(worlds);
  const free = fc
    .record({
      entry: entryArb(vocab, pattern),
      host: hostArb(vocab, pattern),
      path: pathArb(vocab, pattern),
      query: fc.array(wordArb(vocab.queries, queryValueSendable), { maxLength: vocab.queries.length ? (options.maxQueryParams ?? 2) : 0 }),
      method: pattern.method ? fc.constant(pattern.method.toUpperCase()) : fc.constantFrom(...vocab.methods),
      headers: fc.array(fc.tuple(wordArb(vocab.headers, headerValueSendable), fc.boolean()), { maxLength: vocab.headers.length ? (options.maxHeaders ?? 3) : 0 }),
    })
    .map((draw) => assemble(draw, pattern));
  // One match's path, method, headers and query together, on an entry point and host that serve
  // it: a rule that asks for all of them at once is hit as often as one that asks for a path.
  const targets = vocab.targets.filter((t) => (pattern.method === undefined || t.method === null || t.method === pattern.method.toUpperCase()) && entryFits(t.entry, pattern));
  // gRPC calls (POST /service/method) fit a pattern without a path or another method.
  const grpcTargets = pattern.path === undefined && (pattern.method === undefined || pattern.method.toUpperCase() === "POST") ? vocab.grpcTargets.filter((t) => entryFits(t.entry, pattern)) : [];
  const arbs: { weight: number; arbitrary: fc.Arbitrary<GatewayRequest> }[] = [{ weight: 2, arbitrary: free }];
  if (targets.length) arbs.push({ weight: 1, arbitrary: targetedArb(vocab, targets, pattern) });
  if (grpcTargets.length) arbs.push({ weight: 1, arbitrary: grpcArb(vocab, grpcTargets, pattern) });
  const some = arbs.length > 1 ? fc.oneof(...arbs) : free;
  const anyValue = Object.entries(pattern.headers ?? {}).filter(([, v]) => v === true).map(([name]) => name);
  const withAnyHeaders = anyValue.length ? fc.tuple(some, fc.tuple(...anyValue.map((name) => anyHeaderValueArb(vocab, name)))).map(([r, values]) => withHeaders(r, anyValue, values)) : some;
  const queryNames = Object.keys(pattern.query ?? {});
  const arb = queryNames.length
    ? fc.tuple(withAnyHeaders, fc.tuple(...queryNames.map((name) => (pattern.query![name] === true ? anyQueryValueArb(vocab, name) : fc.constant(pattern.query![name] as string))))).map(([r, values]) => withQuery(r, queryNames, values))
    : withAnyHeaders;
  return isEmpty(pattern) ? arb : arb.filter((r) => matchesPattern(pattern, r));
}

interface Draw {
  entry: EntryPoint;
  host: string;
  path: string;
  query: [string, string][];
  method: string;
  headers: [[string, string], boolean][];
}

function assemble({ entry, host, path, query, method, headers }: Draw, pattern: RequestPattern): GatewayRequest {
  const r: GatewayRequest = { gateway: entry.gateway, port: entry.port, scheme: entry.scheme, host, method, path: query.length ? `${path}?${query.map(([n, v]) => `${encodeQuery(n)}=${encodeQuery(v)}`).join("&")}` : path };
  const h: Record<string, string | string[]> = {};
  for (const [[name, value], capital] of headers) {
    const key = capital ? name.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase()) : name;
    const prev = h[key];
    h[key] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  }
  for (const [name, value] of Object.entries(pattern.headers ?? {})) {
    if (value === true) continue; // drawn by anyHeaderValueArb
    for (const k of Object.keys(h)) if (k.toLowerCase() === name.toLowerCase()) delete h[k];
    h[name] = value;
  }
  if (Object.keys(h).length) r.headers = h;
  return r;
}

/** A pattern header `true`: the values the world names for it first (shrinking goes there), then any sendable value. */
function anyHeaderValueArb(vocab: Vocabulary, name: string): fc.Arbitrary<string> {
  const words = vocab.headers.filter((w) => w.name === name.toLowerCase());
  const own = words.flatMap((w) => w.values).filter(headerValueSendable);
  const fresh = words.flatMap((w) => w.patterns.map((re) => matchingArb(re, headerValueSendable, w.values[0] ?? "")));
  return fc.oneof(...(own.length ? [fc.constantFrom(...own)] : []), ...fresh, fc.string({ maxLength: 24 }).filter(headerValueSendable));
}

/** A pattern query param `true`: the values the world names for it first, then any sendable value. */
function anyQueryValueArb(vocab: Vocabulary, name: string): fc.Arbitrary<string> {
  const words = vocab.queries.filter((w) => w.name === name);
  const own = words.flatMap((w) => w.values).filter(queryValueSendable);
  const fresh = words.flatMap((w) => w.patterns.map((re) => matchingArb(re, queryValueSendable, w.values[0] ?? "")));
  return fc.oneof(...(own.length ? [fc.constantFrom(...own)] : []), ...fresh, fc.string({ maxLength: 16 }).filter(queryValueSendable));
}

/** The request with these query params first, once each (decide reads the first occurrence), and the others' copies dropped. */
function withQuery(r: GatewayRequest, names: readonly string[], values: readonly string[]): GatewayRequest {
  const raw = r.path ?? "/";
  const at = raw.indexOf("?");
  const path = at < 0 ? raw : raw.slice(0, at);
  const kept = at < 0 ? [] : raw.slice(at + 1).split("&").filter((pair) => pair !== "" && !names.some((n) => decodedName(pair) === n));
  const set = names.map((n, i) => `${encodeQuery(n)}=${encodeQuery(values[i]!)}`);
  return { ...r, path: `${path}?${[...set, ...kept].join("&")}` };
}

const decodedName = (pair: string): string => {
  const name = pair.split("=")[0]!;
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
};

/** The request with these headers set once each, replacing any copy in another case. */
function withHeaders(r: GatewayRequest, names: readonly string[], values: readonly string[]): GatewayRequest {
  const h: Record<string, string | string[]> = { ...(r.headers ?? {}) };
  names.forEach((name, i) => {
    for (const k of Object.keys(h)) if (k.toLowerCase() === name.toLowerCase()) delete h[k];
    h[name] = values[i]!;
  });
  return { ...r, headers: h };
}

/** Requests built to take one match: every condition it has, satisfied. */
function targetedArb(vocab: Vocabulary, targets: MatchTarget[], pattern: RequestPattern): fc.Arbitrary<GatewayRequest> {
  const hostsOf = (t: MatchTarget) => (pattern.host !== undefined && !pattern.host.startsWith("*.") ? [pattern.host.toLowerCase()] : t.hosts.length ? t.hosts : vocab.hosts);
  // One arbitrary per target, built once (stringMatching compiles its regex when built).
  const arbs = targets.map((t) =>
    fc
      .record({
        host: fc.constantFrom(...hostsOf(t)),
        path: targetPathArb(vocab, t.path),
        method: t.method !== null ? fc.constant(t.method) : pattern.method ? fc.constant(pattern.method.toUpperCase()) : fc.constantFrom(...vocab.methods),
        query: fc.tuple(...t.queryParams.map((q) => valueArb(q, queryValueSendable).map((v) => [q.name, v] as [string, string]))),
        headers: fc.tuple(...t.headers.map((m) => fc.tuple(valueArb(m, headerValueSendable).map((v) => [m.name, v] as [string, string]), fc.boolean()))),
      })
      .map((draw) => assemble({ ...draw, entry: t.entry }, pattern)),
  );
  return arbs.length === 1 ? arbs[0]! : fc.oneof(...arbs);
}

/** gRPC calls built to take one GRPCRoute match: service, method and headers satisfied. */
function grpcArb(vocab: Vocabulary, targets: GrpcTarget[], pattern: RequestPattern): fc.Arbitrary<GatewayRequest> {
  const part = (t: GrpcTarget, value: string | null, any: string) =>
    value === null ? fc.constant(any) : t.type === "RegularExpression" ? matchingArb(value, grpcPartSendable, regexSamples(value, "", grpcPartSendable)[0]!) : fc.constant(value);
  const arbs = targets.map((t) =>
    fc
      .record({
        host: fc.constantFrom(...(pattern.host !== undefined && !pattern.host.startsWith("*.") ? [pattern.host.toLowerCase()] : t.hosts.length ? t.hosts : vocab.hosts)),
        service: part(t, t.service, "gwsim.test.Service"),
        method: part(t, t.method, "Call"),
        headers: fc.tuple(...t.headers.map((m) => fc.tuple(valueArb(m, headerValueSendable).map((v) => [m.name, v] as [string, string]), fc.boolean()))),
      })
      .map(({ host, service, method, headers }) => {
        const r = assemble({ entry: t.entry, host, path: `/${service}/${method}`, query: [], method: "POST", headers }, pattern);
        return { ...r, grpc: { service, method } };
      }),
  );
  return arbs.length === 1 ? arbs[0]! : fc.oneof(...arbs);
}

function targetPathArb(vocab: Vocabulary, path: MatchTarget["path"]): fc.Arbitrary<string> {
  if (path.type === "Exact") return fc.constant(path.value);
  if (path.type === "PathPrefix") return fc.array(fc.constantFrom(...vocab.segments), { maxLength: 1 }).map((children) => join(path.value, children));
  return matchingArb(path.value, pathStable, regexSamples(path.value, "/", pathStable)[0]!);
}

/** A value that satisfies a header or query match. */
function valueArb(m: { type: string; value: string }, accept: (s: string) => boolean): fc.Arbitrary<string> {
  return m.type === "RegularExpression" ? matchingArb(m.value, accept, regexSamples(m.value, "", accept)[0]!) : fc.constant(m.value);
}

/**
 * Strings a gwsim regex matches in full (compileRegex anchors it), from fast-check's own
 * `stringMatching`; one the request cannot carry unchanged (`accept`) becomes `fallback`.
 */
function matchingArb(pattern: string, accept: (s: string) => boolean, fallback: string): fc.Arbitrary<string> {
  const r = compileRegex(pattern);
  if (!r.ok) return fc.constant(fallback);
  try {
    const regex = r.regex;
    return fc.stringMatching(regex).map((s) => (regex.test(s) && accept(s) ? s : fallback));
  } catch {
    // A construct fast-check cannot generate from: the literal samples stand in.
    return fc.constant(fallback);
  }
}

function entryFits(e: EntryPoint, p: RequestPattern): boolean {
  return (p.gateway === undefined || e.gateway === qualified(p.gateway)) && (p.port === undefined || e.port === p.port) && (p.scheme === undefined || e.scheme === p.scheme);
}

function isEmpty(p: RequestPattern): boolean {
  return Object.values(p).every((v) => v === undefined);
}

function entryArb(vocab: Vocabulary, p: RequestPattern): fc.Arbitrary<EntryPoint> {
  const fits = vocab.entries.filter((e) => entryFits(e, p));
  if (fits.length) return fc.constantFrom(...fits);
  const base = vocab.entries[0];
  const scheme = p.scheme ?? base?.scheme ?? "http";
  return fc.constant({ gateway: qualified(p.gateway ?? base?.gateway ?? "default/gateway"), port: p.port ?? base?.port ?? (scheme === "https" ? 443 : 80), scheme });
}

/**
 * A pattern on a Gateway the worlds lack gives only GatewayNotFound requests, for which
 * neverRoutes holds whatever the routes say: a typo, refused as the matchers refuse such requests.
 */
function checkPatternGateway(worlds: readonly World[], pattern: RequestPattern): void {
  if (pattern.gateway === undefined) return;
  const gateway = qualified(pattern.gateway);
  const known = [...new Set(worlds.flatMap((w) => w.graph.listeners.map((l) => `${l.gateway.namespace}/${l.gateway.name}`)))].sort();
  if (known.includes(gateway)) return;
  const named = `${JSON.stringify(pattern.gateway)}${gateway === pattern.gateway ? "" : ` (${gateway})`}`;
  throw new TypeError(`request pattern gateway ${named} is not a Gateway of the world: ${known.length ? known.join(", ") : "it has none"}`);
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
  // Fresh matches of each RegularExpression path, besides the fixed samples among the bases.
  const fresh = p.path === undefined ? vocab.pathPatterns.map((re) => matchingArb(re, pathStable, regexSamples(re, "/", pathStable)[0]!)) : [];
  const base = fresh.length ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...bases) }, ...fresh.map((arbitrary) => ({ weight: 1, arbitrary }))) : fc.constantFrom(...bases);
  return fc
    .record({
      base,
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

/**
 * A name with one of its values (values come matching-first, so shrinking prefers a match), or
 * now and then a fresh match of one of the name's RegularExpression values.
 */
function wordArb(words: Vocabulary["headers"], accept: (s: string) => boolean): fc.Arbitrary<[string, string]> {
  const pairs = words.flatMap((w) => (w.values.length ? w.values : [""]).map((v) => [w.name, v] as [string, string]));
  if (!pairs.length) return fc.constant(["x-gwsim", "1"]);
  const fixed = fc.constantFrom(...pairs);
  const fresh = words.flatMap((w) => w.patterns.map((re) => matchingArb(re, accept, w.values[0] ?? "").map((v) => [w.name, v] as [string, string])));
  return fresh.length ? fc.oneof({ weight: 3, arbitrary: fixed }, ...fresh.map((arbitrary) => ({ weight: 1, arbitrary }))) : fixed;
}
