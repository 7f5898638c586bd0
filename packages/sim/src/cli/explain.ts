import { cleartextListenerOf, decide, followRedirect, hostMatches, redirectLoopFrom, type Decision, type GatewayRequest, type World } from "@gwsim/core";
import { entryDefaults, FILE_FLAG, loadWorld, withDefaults, WORLD_FLAGS } from "./common.js";
import { intFlag, listFlag, parseFlags, type CommandSpec } from "./flags.js";
import { UsageError, type ExitCode, type Io } from "./io.js";
import { renderExplained } from "./render-decision.js";

export const explainSpec: CommandSpec = {
  name: "explain",
  summary: "explain, step by step, where one request goes and why",
  usage: "gwsim explain -f MANIFESTS '[METHOD] URL' [-H 'name: value' ...] [--gateway NS/NAME] [--json]",
  description:
    "The URL's scheme and port pick the listener (http → 80, https → 443 unless the URL names a port); the URL's " +
    "host is the Host header and, for https, the SNI unless --sni says otherwise. For mesh requests give --service " +
    "NS/NAME (and --from NAMESPACE) and a URL such as http://svc/path.",
  positionals: {
    name: "REQUEST",
    description: "'GET http://store.example.com/cart' (method defaults to GET; store.example.com/cart, without a scheme, means http)",
    required: true,
  },
  flags: [
    FILE_FLAG,
    { name: "header", short: "H", type: "string", multiple: true, value: "'NAME: VALUE'", description: "a request header" },
    { name: "gateway", type: "string", value: "NS/NAME", description: "the Gateway the request enters (default: the only one)" },
    { name: "service", type: "string", value: "NS/NAME", description: "mesh: the Service the request is addressed to" },
    { name: "from", type: "string", value: "NAMESPACE", description: "mesh: the namespace the caller runs in" },
    { name: "sni", type: "string", value: "NAME", description: "TLS server name, when it differs from the URL's host" },
    { name: "grpc", type: "string", value: "SERVICE/METHOD", description: "a gRPC call (pkg.Service/Method)" },
    { name: "seed", type: "string", value: "N", description: "seed of the weighted draw (default 1)" },
    { name: "json", type: "boolean", description: "print the decision as JSON, explanation included" },
    ...WORLD_FLAGS,
  ],
  examples: ["gwsim explain -f examples/world 'GET http://store.example.com/cart' -H 'version: 2'"],
};

export async function explainCommand(argv: string[], io: Io): Promise<ExitCode> {
  const { values, positionals } = parseFlags(explainSpec, argv);
  const request = requestFromArgs(positionals.join(" "), listFlag(values, "header"), {
    gateway: values.gateway as string | undefined,
    service: values.service as string | undefined,
    from: values.from as string | undefined,
    sni: values.sni as string | undefined,
    grpc: values.grpc as string | undefined,
  });
  const world = await loadWorld(values, io);
  if (!world) return 2;
  const full = withDefaults(request, entryDefaults(world, request.gateway));
  if (!full.gateway && !full.service && !full.address) {
    const gateways = [...new Set(world.graph.listeners.map((l) => `${l.gateway.namespace}/${l.gateway.name}`))];
    throw new UsageError(`the manifests have ${gateways.length} Gateways; say which with --gateway (${gateways.join(", ") || "none"})`);
  }
  const decided = decide(world, full, { seed: intFlag(values, "seed", 1), index: 0, explain: true });
  const notes = [
    ...redirectLoopNotes(world, full, decided),
    ...isolationNotes(world, full, decided),
    ...unattachedListenerSetNotes(world, full, decided),
    ...passedOverRouteNotes(world, full, decided),
  ];
  const d = notes.length ? { ...decided, explain: [...(decided.explain ?? []), ...notes] } : decided;
  io.stdout(values.json ? `${JSON.stringify(d, null, 2)}\n` : renderExplained(full, d));
  return 0;
}

/**
 * A redirect the client would be sent round in: each Location followed on the same Gateway, as
 * lint's redirect-loop does, and the loop named, with the sectionName that ends the usual one
 * (an http → https redirect that answers on the HTTPS listener too).
 */
export function redirectLoopNotes(world: World, request: GatewayRequest, d: Decision): string[] {
  if (d.outcome !== "redirect" || !d.route || !d.listener || !request.gateway) return [];
  const urls = redirectLoopFrom(world, request);
  if (!urls) return redirectTargetNotes(world, request, d);
  const route = `${d.route.kind} ${d.route.namespace}/${d.route.name}`;
  const notes = [
    urls.length === 2
      ? `redirect loop: the Location is the same URL as the request, so the client is sent back to it by the same redirect (${route} rule ${d.route.rule}) until it gives up`
      : `redirect loop: following the Locations ${urls.join(" → ")} comes back to this URL; the client is redirected until it gives up`,
  ];
  const cleartext = request.scheme === "https" ? cleartextListenerOf(world.table, d.listener.gateway, `${d.route.kind.toLowerCase()}/${d.route.namespace}/${d.route.name}`) : null;
  if (cleartext) notes.push(`${route} is attached to the HTTPS listener ${d.listener.name} as well as to ${cleartext.name}; keep it to the cleartext one: parentRef sectionName: ${cleartext.name}`);
  return notes;
}

interface RequestExtras {
  gateway?: string | undefined;
  service?: string | undefined;
  from?: string | undefined;
  sni?: string | undefined;
  grpc?: string | undefined;
}

const SCHEMES = new Set(["http", "https", "tls", "tcp", "udp"]);
const SCHEME_URL = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/is;
// RFC 9110 token: what a method may be made of.
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const COMMON_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);
const FORMS = "expected '[METHOD] URL', e.g. 'GET http://store.example.com/cart' or 'store.example.com/cart'";

/** `[METHOD] URL`: the URL with a scheme, or `host[:port]/path` meaning http://host[:port]/path. */
function splitRequestLine(line: string): { method: string; scheme: string; authority: string; rest: string } {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new UsageError(`missing REQUEST: ${FORMS}`);
  if (words.length > 2) throw new UsageError(`cannot read ${JSON.stringify(line.trim())}: ${FORMS} (${words.length} words; quote the request, headers go in -H)`);
  const [method, target] = words.length === 2 ? [words[0]!, words[1]!] : ["GET", words[0]!];
  if (!METHOD.test(method)) throw new UsageError(`cannot read ${JSON.stringify(line.trim())}: ${JSON.stringify(method)} is not a method; ${FORMS}`);
  if (words.length === 1 && COMMON_METHODS.has(target)) throw new UsageError(`missing URL after ${target}: ${FORMS}`);
  const withScheme = SCHEME_URL.exec(target);
  if (withScheme) return { method: method.toUpperCase(), scheme: withScheme[1]!.toLowerCase(), authority: withScheme[2]!, rest: withScheme[3]! };
  if (/^[a-z][a-z0-9+.-]*:\//i.test(target) || target.startsWith("/") || target.startsWith("?") || target.startsWith("#")) {
    throw new UsageError(`${JSON.stringify(target)} names no host: ${FORMS}`);
  }
  const at = target.search(/[/?#]/);
  return { method: method.toUpperCase(), scheme: "http", authority: at < 0 ? target : target.slice(0, at), rest: at < 0 ? "" : target.slice(at) };
}

/** `GET https://host:8443/p?q=1` plus `-H` headers → a CONTRACT request. */
export function requestFromArgs(line: string, headerArgs: string[], extras: RequestExtras): GatewayRequest {
  const { method, scheme, authority, rest } = splitRequestLine(line);
  if (!SCHEMES.has(scheme)) throw new UsageError(`unsupported scheme ${scheme} (use ${[...SCHEMES].join(", ")})`);
  if (authority === "") throw new UsageError(`${JSON.stringify(line.trim())} names no host: ${FORMS}`);
  if (authority.includes("@")) throw new UsageError(`${JSON.stringify(authority)}: user info in a URL is not part of a request; give the host only`);
  let url: URL;
  try {
    url = new URL(`${scheme}://${authority}/`);
  } catch {
    throw new UsageError(`cannot read ${JSON.stringify(authority)} as a host[:port] (expected e.g. store.example.com or store.example.com:8080)`);
  }
  if (url.port === "0") throw new UsageError(`port 0 in ${JSON.stringify(authority)}: a port is 1 to 65535`);
  const headers: Record<string, string | string[]> = {};
  for (const h of headerArgs) {
    const at = h.indexOf(":");
    if (at <= 0) throw new UsageError(`header ${JSON.stringify(h)} is not 'name: value'`);
    const name = h.slice(0, at).trim().toLowerCase();
    const value = h.slice(at + 1).trim();
    const prev = headers[name];
    headers[name] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  }
  // The raw path as typed (URL would re-encode it, and gwsim must see it as sent); a fragment is never sent.
  const rawPath = rest.replace(/#.*$/s, "") || "/";
  const request: GatewayRequest = {
    scheme: scheme as GatewayRequest["scheme"],
    host: url.host,
    method,
    path: rawPath.startsWith("/") ? rawPath : `/${rawPath}`,
    headers,
  };
  if (url.port) request.port = Number(url.port);
  if (extras.gateway) request.gateway = extras.gateway;
  if (extras.service) request.service = extras.service;
  if (extras.from) request.from = extras.from;
  if (extras.sni) request.sni = extras.sni;
  if (extras.grpc) {
    const [service, m] = extras.grpc.split("/");
    if (!service || !m) throw new UsageError(`--grpc takes SERVICE/METHOD, got ${JSON.stringify(extras.grpc)}`);
    request.grpc = { service, method: m };
    request.method = "POST";
    request.protocol = "HTTP/2";
  }
  return request;
}

/**
 * A 404 on a listener while a less specific listener of the same port has a route for the host:
 * the most specific listener takes the host (listener isolation), so that route never sees it.
 */
export function isolationNotes(world: World, request: GatewayRequest, d: Decision): string[] {
  if (d.outcome !== "notFound" || !d.listener) return [];
  const listeners = world.table.listeners;
  const here = listeners.find((l) => l.gateway === d.listener!.gateway && l.name === d.listener!.name && l.port === d.listener!.port);
  const host = hostOf(request);
  if (!here || !host) return [];
  const notes: string[] = [];
  for (const other of listeners) {
    if (other === here || other.gateway !== here.gateway || other.port !== here.port || other.protocol !== here.protocol || !other.ready) continue;
    if (!hostMatches(other.hostname ?? "*", host)) continue;
    const routes = [...new Set(other.groups.filter((g) => hostMatches(g.hostname, host)).flatMap((g) => g.routes))].map((ri) => world.table.routes[ri]!);
    for (const r of routes) {
      notes.push(
        `${r.kind} ${r.namespace}/${r.name} serves host ${host} on listener ${other.name} (hostname ${other.hostname ?? "any"}) of this port, but the more specific listener ${here.name} ` +
          `(hostname ${here.hostname ?? "any"}) takes the host, and a route only sees requests of the listeners it is attached to: attach it to ${here.name} too (parentRef sectionName: ${here.name}, or none)`,
      );
    }
  }
  return notes;
}

/**
 * No listener took the request while a ListenerSet that is not accepted has one for its port and
 * host: its listeners are not part of the Gateway, so its routes cannot be reached.
 */
export function unattachedListenerSetNotes(world: World, request: GatewayRequest, d: Decision): string[] {
  if ((d.outcome !== "notFound" && d.outcome !== "reject") || !request.gateway) return [];
  const host = hostOf(request);
  const port = request.port ?? (request.scheme === "https" || request.scheme === "tls" ? 443 : 80);
  const notes: string[] = [];
  for (const item of world.graph.status) {
    if (item.kind !== "ListenerSet") continue;
    const accepted = (item.status.conditions as { type: string; status: string; reason: string; message: string }[] | undefined)?.find((c) => c.type === "Accepted");
    if (!accepted || accepted.status === "True") continue;
    const obj = world.objects.find((o) => o.kind === "ListenerSet" && o.metadata.name === item.metadata.name && (o.metadata.namespace ?? "default") === item.metadata.namespace);
    const spec = (obj as { spec?: { parentRef?: { name?: string; namespace?: string }; listeners?: { name: string; port: number; hostname?: string }[] } } | undefined)?.spec;
    const parent = `${spec?.parentRef?.namespace ?? item.metadata.namespace}/${spec?.parentRef?.name}`;
    if (parent !== request.gateway) continue;
    for (const l of spec?.listeners ?? []) {
      if (l.port !== port || (host && !hostMatches(l.hostname ?? "*", host))) continue;
      notes.push(
        `ListenerSet ${item.metadata.namespace}/${item.metadata.name} has listener ${l.name} (port ${l.port}, hostname ${l.hostname ?? "any"}) for this request, but it is not accepted: Accepted=False (${accepted.reason}): ${accepted.message}`,
      );
    }
  }
  return notes;
}

/** The host a request names, without a port; null when it names none. */
function hostOf(request: GatewayRequest): string | null {
  const host = request.scheme === "tls" ? (request.sni ?? request.host) : request.host;
  if (!host) return null;
  return host.startsWith("[") ? host : host.replace(/:\d+$/, "").toLowerCase();
}

interface ParentStatus {
  parentRef: { kind?: string; namespace?: string; name: string; sectionName?: string };
  conditions: { type: string; status: string; reason: string; message: string }[];
}

/**
 * A request another route answered (or a redirect, an error) while a route that names its host
 * on this Gateway is not attached there: the user most likely expected that one. (A 404 says so
 * already, from decide.) GRPCRoutes count for gRPC calls, HTTPRoutes for every HTTP request.
 */
export function passedOverRouteNotes(world: World, request: GatewayRequest, d: Decision): string[] {
  if (d.outcome === "notFound" || d.outcome === "reject" || !request.gateway || (request.scheme !== undefined && request.scheme !== "http" && request.scheme !== "https")) return [];
  const host = hostOf(request);
  if (!host) return [];
  const kinds = request.grpc ? ["GRPCRoute", "HTTPRoute"] : ["HTTPRoute"];
  const notes: string[] = [];
  for (const item of world.graph.status) {
    if (!kinds.includes(item.kind)) continue;
    const ns = item.metadata.namespace ?? "default";
    if (d.route && d.route.kind === item.kind && d.route.namespace === ns && d.route.name === item.metadata.name) continue;
    const obj = world.objects.find((o) => o.kind === item.kind && o.metadata.name === item.metadata.name && (o.metadata.namespace ?? "default") === ns);
    const hostnames = ((obj as { spec?: { hostnames?: string[] } } | undefined)?.spec?.hostnames ?? []).map((h) => h.toLowerCase());
    if (hostnames.length && !hostnames.some((h) => hostMatches(h, host))) continue;
    for (const parent of (item.status.parents as ParentStatus[] | undefined) ?? []) {
      const ref = parent.parentRef;
      if ((ref.kind ?? "Gateway") !== "Gateway" || `${ref.namespace ?? ns}/${ref.name}` !== request.gateway) continue;
      const accepted = parent.conditions.find((c) => c.type === "Accepted");
      if (!accepted || accepted.status === "True") continue;
      notes.push(
        `${item.kind} ${ns}/${item.metadata.name} (parentRef Gateway ${request.gateway}${ref.sectionName ? ` sectionName ${ref.sectionName}` : ""}) ` +
          `${hostnames.length ? `names host ${host}` : "takes any host"} but is not attached, so it was not considered: Accepted=False (${accepted.reason}): ${accepted.message}`,
      );
    }
  }
  return notes;
}

/**
 * A redirect to the same host that this Gateway then refuses or answers 404 (an http → https
 * redirect whose site route is attached to the HTTP listener only, or no HTTPS listener at all).
 * A redirect to another host is left alone: it is usually served elsewhere.
 */
function redirectTargetNotes(world: World, request: GatewayRequest, d: Decision): string[] {
  const next = d.redirect ? followRedirect({ ...request, scheme: request.scheme ?? "http" }, d.redirect.location) : null;
  if (!next || hostOf(next) !== hostOf(request)) return [];
  const after = decide(world, next, { explain: true });
  if (after.outcome !== "notFound" && after.outcome !== "reject") return [];
  const why = after.explain?.find((line) => !line.startsWith("listener ") || line.includes("no ")) ?? after.explain?.[0] ?? "";
  return [
    `following the redirect: ${d.redirect!.location} is ${after.outcome === "reject" ? "refused" : `answered ${after.status ?? 404}`} by this Gateway` +
      `${after.listener ? ` (listener ${after.listener.name})` : ""}${why ? `: ${why}` : ""}`,
  ];
}
