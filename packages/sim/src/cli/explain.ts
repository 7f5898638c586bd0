import { decide, type GatewayRequest } from "@gwsim/core";
import { entryDefaults, FILE_FLAG, loadWorld, withDefaults, WORLD_FLAGS } from "./common.js";
import { intFlag, listFlag, parseFlags, type CommandSpec } from "./flags.js";
import { UsageError, type ExitCode, type Io } from "./io.js";
import { explainNotes } from "./explain-notes.js";
import { renderExplained } from "./render-decision.js";

export const explainSpec: CommandSpec = {
  name: "explain",
  summary: "explain, step by step, where one request goes and why",
  usage: "gwsim explain -f MANIFESTS '[METHOD] URL' [-H 'name: value' ...] [--gateway NS/NAME] [--json]",
  description:
    "The URL's scheme and port pick the listener (http → 80, https → 443 unless the URL names a port); the URL's " +
    "host is the Host header and, for https, the SNI unless --sni says otherwise. For mesh requests give --service " +
    "NS/NAME (and --from NAMESPACE) and a URL such as http://svc/path. Under the decision it names causes that lie " +
    "outside it: a redirect that loops or that this Gateway answers 404, a route a more specific listener keeps the " +
    "request from, a ListenerSet that is not accepted, a route for the host that is not attached, a tie that a route " +
    "without hostnames won over one naming the host.",
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
  const notes = explainNotes(world, full, decided);
  const d = notes.length ? { ...decided, explain: [...(decided.explain ?? []), ...notes] } : decided;
  io.stdout(values.json ? `${JSON.stringify(d, null, 2)}\n` : renderExplained(full, d));
  return 0;
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
