import type { Decision, GatewayRequest } from "@gwsim/core";

const pct = (p: number) => `${(p * 100).toFixed(p === 0 || p === 1 ? 0 : 2)}%`;

/** `host` with `port` when the host does not already carry it; a different port than the host's is said apart. */
function hostAndPort(host: string, port: number | undefined): { authority: string; note: string } {
  const carried = /:(\d+)$/.exec(host);
  if (!port) return { authority: host, note: "" };
  if (!carried) return { authority: `${host}:${port}`, note: "" };
  return { authority: host, note: Number(carried[1]) === port ? "" : ` (port ${port})` };
}

export function requestLine(r: GatewayRequest): string {
  const mesh = r.service ?? r.address;
  const meshTarget = `mesh ${mesh}${r.port ? `:${r.port}` : ""}`;
  if (r.grpc) return ["gRPC", mesh ? meshTarget : r.host, `${r.grpc.service}/${r.grpc.method}`].filter(Boolean).join(" ");
  if (r.scheme === "tls" || r.scheme === "tcp" || r.scheme === "udp") {
    const name = r.sni ?? r.host ?? "";
    const kind = r.scheme.toUpperCase();
    if (mesh && !name) return `${kind} ${meshTarget}`;
    if (!name) return `${kind}${r.port ? ` port ${r.port}` : ""}${r.scheme === "tls" ? " (no SNI)" : ""}`;
    const { authority, note } = hostAndPort(name, r.port);
    return `${kind} ${authority}${note}`;
  }
  const scheme = r.scheme ?? "http";
  const method = r.method ?? "GET";
  // Mesh: the Service (or address) addressed; the path apart, so it does not read as part of the name.
  if (mesh) return `${method} ${meshTarget} ${r.path ?? "/"}`;
  // A path that is no absolute path would run into the host (`example.comcheckout`): set apart, quoted.
  const raw = r.path ?? "/";
  const path = raw.startsWith("/") ? raw : ` path ${JSON.stringify(raw)}`;
  if (!r.host) return `${method} ${scheme}://(no host)${r.port ? `:${r.port}` : ""}${path}`;
  const { authority, note } = hostAndPort(r.host, r.port);
  return `${method} ${scheme}://${authority}${path}${note}`;
}

// gRPC status codes by number (grpc/grpc doc/statuscodes.md).
const GRPC_CODES = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
];

/** `404`, or `404 grpc-status 12 UNIMPLEMENTED` when a gRPC client gets a status of its own. */
function statusText(d: Decision, fallback: number): string {
  const http = String(d.status ?? fallback);
  const grpc = d.grpcStatus;
  return typeof grpc === "number" ? `${http} grpc-status ${grpc}${GRPC_CODES[grpc] ? ` ${GRPC_CODES[grpc]}` : ""}` : http;
}

/** The first clause of the decision's message (`ExtensionRef filter is invalid`), else its reason code. */
function why(d: Decision): string {
  const message = typeof d.message === "string" ? d.message.split(/: |; /)[0]! : "";
  return message || (typeof d.reason === "string" ? d.reason : "");
}

const meshOf = (d: Decision): { service?: string } | null => (d.mesh && typeof d.mesh === "object" ? (d.mesh as { service?: string }) : null);

type BackendRef = { group: string; kind: string; namespace: string; name: string; port: number | null };
const sameBackend = (a: BackendRef, b: BackendRef): boolean => a.group === b.group && a.kind === b.kind && a.namespace === b.namespace && a.name === b.name && a.port === b.port;
/** `ns/name:port`, with the kind when it is not a core Service (as core's backendLabel). */
function backendText(b: BackendRef): string {
  const kind = b.group === "" && b.kind === "Service" ? "" : `${b.kind}${b.group ? `.${b.group}` : ""} `;
  return `${kind}${b.namespace}/${b.name}${b.port !== null ? `:${b.port}` : ""}`;
}

/** One readable line per decision: what happened, where, and why in a few words. */
export function decisionSummary(d: Decision): string {
  const mesh = meshOf(d);
  // Named as the explanation names it (core decide/labels.ts): `HTTPRoute ns/name rule 1 (name) match 0`.
  const route = d.route
    ? `${d.route.kind} ${d.route.namespace}/${d.route.name} rule ${d.route.rule ?? "-"}${d.route.ruleName ? ` (${d.route.ruleName})` : ""}${typeof d.route.match === "number" ? ` match ${d.route.match}` : ""}`
    : mesh?.service
      ? `Service ${mesh.service} itself (no route)`
      : "no route";
  // A ListenerSet's listener is named by its set, as the explanation names it.
  const listenerName = d.listener ? `${d.listener.listenerSet ?? d.listener.gateway}/${d.listener.name}` : "";
  const listener = d.listener ? ` on listener ${listenerName}` : "";
  switch (d.outcome) {
    case "forward": {
      const b = d.backend;
      // Mesh traffic to an address that is no Service frontend goes where it was sent, untouched.
      if (!b && d.backends.length === 0) return `→ as addressed, unrouted${why(d) ? `: ${why(d)}` : ""}`;
      const share = b ? d.backends.find((x) => sameBackend(x, b)) : undefined;
      const split = d.backends.length > 1 ? ` [split: ${d.backends.map((x) => `${x.name} ${pct(x.probability)}${x.valid ? "" : " invalid"}`).join(", ")}]` : "";
      // An XBackend also shows where the gateway connects: `[api.example.com, TLS]`.
      const external = b?.hostname !== undefined ? ` [${b.hostname}${b.tls ? ", TLS" : ""}]` : "";
      return `→ ${b ? backendText(b) : "?"}${external}${share ? ` (p=${pct(share.probability)})` : ""} via ${route}${split}`;
    }
    case "redirect":
      return `↪ ${d.redirect?.status} ${d.redirect?.location} via ${route}`;
    case "respond":
      return `⇐ ${statusText(d, 200)} answered by the gateway via ${route}`;
    case "notFound":
      if (d.reason === "NoListenerForHost") {
        // decide's message: `Host h matches no HTTP listener on port p ...`.
        const m = /^Host (\S+) matches no (\w+ )?listener on port (\d+)/.exec(typeof d.message === "string" ? d.message : "");
        return `✗ ${statusText(d, 404)} no ${m?.[2] ?? ""}listener${m ? ` on port ${m[3]} takes host ${m[1]}` : " takes the host"}`;
      }
      return `✗ ${statusText(d, 404)} no matching route${listener}${!d.listener && mesh?.service ? ` for Service ${mesh.service}` : ""}`;
    case "error": {
      // route's answer to an input line that is no request (its message names the line and why).
      if (d.reason === "UnreadableRequest") return `✗ not read as a request: ${typeof d.message === "string" ? d.message : "unreadable"}`;
      if (d.status === 421 || d.reason === "MisdirectedRequest") return `✗ ${statusText(d, 421)} misdirected request${listener}${why(d) ? `: ${why(d)}` : ""}`;
      // The invalid backend this request drew (others in the split may be valid, or invalid too).
      const drawn = d.backend ? d.backends.find((x) => !x.valid && sameBackend(x, d.backend!)) : undefined;
      const invalid = d.backends.filter((x) => !x.valid).map((x) => `${x.name}: ${x.reason ?? "invalid"}`);
      const detail = drawn
        ? `: backend ${backendText(drawn)} invalid (${drawn.reason ?? d.reason ?? "invalid"})`
        : why(d)
          ? `: ${why(d)}`
          : invalid.length
            ? ` [${invalid.join(", ")}]`
            : "";
      // A request the gateway cannot read (400) never reached routing: not "no route".
      const what = d.route ? route : d.status === 400 ? `bad request${listener}` : `no route${listener}`;
      return `✗ ${statusText(d, 500)} ${what}${detail}`;
    }
    case "reject":
      return `✗ connection refused${d.listener ? ` by ${listenerName}` : ""}${typeof d.reason === "string" ? ` (${d.reason})` : d.listener ? "" : ": no listener"}`;
    default:
      return d.outcome;
  }
}

/** Header values as one line each: `name: v1, v2`. */
function headerList(h: Record<string, string | string[]>): string[] {
  return Object.entries(h).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : v}`);
}

/**
 * The rule's timeouts and retry, as HTTPRouteTimeouts and HTTPRouteRetry define them: `request`
 * covers the whole exchange, `backendRequest` each attempt to a backend; `attempts` counts retries
 * after the first try, on the listed `codes`.
 */
function timing(d: Decision): string[] {
  const out: string[] = [];
  const t = d.timeouts;
  const limits = [t?.request ? `${t.request} for the whole request` : "", t?.backendRequest ? `${t.backendRequest} per backend attempt` : ""].filter(Boolean);
  if (limits.length) out.push(`timeouts: ${limits.join(", ")}`);
  const r = d.retry;
  if (r) {
    // attempts has a minimum of 1; unset, the number is the data plane's own.
    const times = r.attempts === undefined ? "retried (how often: the data plane's default)" : `retried up to ${r.attempts} time(s)`;
    const codes = r.codes?.length ? ` on ${r.codes.join(", ")}` : "";
    out.push(`retry: ${times}${codes}${r.backoff ? `, backoff ${r.backoff}` : ""}`);
  }
  return out;
}

/** What the client or the backend gets besides the outcome: the forwarded request, response edits, mirrors. */
function effects(d: Decision): string[] {
  const out: string[] = [];
  const f = d.forwarded;
  if (d.outcome === "forward" && f) {
    // `https` is the scheme the client used (what x-forwarded-proto carries); the connection to the
    // backend is TLS only with a BackendTLSPolicy or an XBackend's tls, so say when it is not.
    const cleartext = f.scheme === "https" && !d.backendTLS && !d.backend?.tls;
    out.push(`backend receives: ${f.method} ${f.scheme}://${f.host || "(no host)"}${f.path}${cleartext ? " (over cleartext: TLS ends at the gateway)" : ""}`);
    const headers = headerList(f.headers);
    if (headers.length) out.push(`  with headers: ${headers.join("; ")}`);
  }
  const rh = d.responseHeaders;
  if (rh) {
    const edits = [
      ...Object.entries(rh.set ?? {}).map(([k, v]) => `set ${k}: ${v}`),
      ...Object.entries(rh.add ?? {}).map(([k, v]) => `add ${k}: ${Array.isArray(v) ? v.join(", ") : v}`),
      ...(rh.remove ?? []).map((k) => `remove ${k}`),
    ];
    if (edits.length) out.push(`response headers: ${edits.join("; ")}`);
  }
  for (const m of d.mirrors ?? []) {
    if (m.valid === false) continue;
    out.push(`mirrored: ${Number.isInteger(m.percent) ? m.percent : m.percent.toFixed(2)}% of requests to ${backendText(m.backend)}`);
  }
  // Only for a forwarded request: a redirect or the gateway's own answer waits on no backend.
  if (d.outcome === "forward") out.push(...timing(d));
  return out;
}

export const WIDTH = 80;

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, tls: 443 };

/**
 * Words of `text` in lines of at most `width` columns: the first line after `first`, the others
 * after `rest` (a word longer than a line is kept whole). A number stays on the line of the words
 * around it (`match 0`, `1 rule(s)`) unless that run of words would not fit a line by itself.
 */
export function wrap(text: string, first: string, rest: string, width = WIDTH): string[] {
  const room = width - rest.length;
  const words = text.split(/(?<![0-9]) (?![0-9])/).flatMap((run) => (run.length > room ? run.split(" ") : [run]));
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest + word;
    } else {
      line += (empty ? "" : " ") + word;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

/**
 * The request (after its id, when given), the outcome, what the backend receives, and the explanation's steps, each
 * wrapped to 80 columns. The steps are `decision.explain` word for word (`--json --explain`
 * prints the same lines unwrapped).
 */
export function renderExplained(request: GatewayRequest, d: Decision, id?: string): string {
  // The port the request was taken on, when the request line would not show it: not the
  // scheme's default, or a Host that names another port.
  const used = d.listener?.port;
  const implied = request.port === undefined && used !== undefined && (DEFAULT_PORTS[request.scheme ?? "http"] !== used || /:\d+$/.test(request.host ?? ""));
  const port = implied ? used : request.port;
  // `route --explain` leads with the request's id, as route's table does, so blocks can be told apart.
  const head = `${id === undefined ? "" : `${id}  `}${requestLine({ ...request, ...(port ? { port } : {}) })}`;
  const lines = [...wrap(head, "", "    "), ...wrap(decisionSummary(d), "  ", "      ")];
  for (const e of effects(d)) lines.push(...wrap(e, "  ", "      "));
  for (const step of d.explain ?? []) lines.push(...wrap(step, "    - ", "      "));
  return `${lines.join("\n")}\n`;
}
