/**
 * Requests that enter through a Gateway: the gateway, the port, then the listener by the way
 * the connection is read on that port (cleartext HTTP, TLS by SNI, raw TCP, UDP), then the
 * listener kind's own routing.
 *
 * - `http`: HTTP listeners by Host; a port served by a TCP listener proxies the connection.
 * - `https` and `tls`: the SNI picks among every listener that reads TLS on the port (HTTPS and
 *   TLS, Terminate and Passthrough), most specific hostname first. An HTTPS listener then routes
 *   the HTTP request inside (a `tls` request to it is read as that HTTP request); a TLS listener
 *   routes the stream by TLSRoute. A port served by a TCP listener proxies the connection.
 * - `tcp`: TCP listeners; `udp`: UDP listeners.
 */
import type { Decision } from "../model/decision.js";
import { compareHostSpecificity } from "../compile/hostname.js";
import { httpsHost, routeSelected, selectHttpListener, selectHttpsListener } from "./http.js";
import { certificateNote, clientCertificateCheck, countListeners, fail, isEmpty, label, refOf, selectListener } from "./listener.js";
import { namespacedKey, type RequestView } from "./request.js";
import type { HostLookup } from "./runtime.js";
import { decideStreamListener } from "./streams.js";
import type { DecideContext } from "./index.js";
import { notProgrammedNotes, onPortOf, skippedListenerNotes, specificityNote } from "./status-notes.js";

/** Listener protocols that read a connection of each scheme, in the order they are tried. */
const READERS: Record<string, readonly string[]> = {
  http: ["HTTP", "TCP"],
  https: ["HTTPS", "TLS", "TCP"],
  tls: ["HTTPS", "TLS", "TCP"],
  tcp: ["TCP"],
  udp: ["UDP"],
};

export function decideGateway(ctx: DecideContext, req: RequestView, base: Decision): Decision {
  const { rt } = ctx;
  const gwKey = namespacedKey(req.gateway!);
  const gw = rt.gateways.get(gwKey);
  if (!gw) {
    return fail(base, ctx, { outcome: "reject", status: null, reason: "GatewayNotFound", message: `gateway ${gwKey} not found among the gateways gwsim programs` });
  }
  const port = gw.ports.get(req.port);
  if (!port) {
    const ports = [...gw.ports.keys()].sort((a, b) => a - b).join(", ") || "none";
    return fail(base, ctx, { outcome: "reject", status: null, reason: "NoListener", message: `gateway ${gwKey} has no listener on port ${req.port} (ports: ${ports}); connection refused` });
  }
  const readers = READERS[req.scheme] ?? [];

  if (req.scheme === "http") {
    const hosts = port.http; // usable(port.protocols.get("HTTP")), found once per table
    if (hosts) return routeSelected(ctx, req, base, selectHttpListener(ctx, req, hosts, gwKey), req.host);
  } else if (req.scheme === "https" || req.scheme === "tls") {
    const https = usable(port.protocols.get("HTTPS"));
    const tls = usable(port.protocols.get("TLS"));
    if (https || tls) return decideBySni(ctx, req, base, https, tls, gwKey);
  } else {
    const only = usable(port.protocols.get(readers[0]!));
    if (only) return streamOn(ctx, req, base, only);
  }
  // A TCP listener proxies whatever arrives on its port: HTTP and TLS clients included.
  const tcp = req.scheme !== "tcp" && req.scheme !== "udp" ? usable(port.protocols.get("TCP")) : undefined;
  if (tcp) {
    ctx.notes?.push(`port ${req.port} of ${gwKey} is served by a TCP listener: the ${req.scheme.toUpperCase()} connection is proxied as a TCP stream`);
    return streamOn(ctx, req, base, tcp);
  }
  const onPort = port.listeners.map((i) => rt.table.listeners[i]!);
  const sameProtocol = onPort.filter((l) => readers.includes(l.protocol));
  const wanted = readers.filter((p) => p !== "TCP" || req.scheme === "tcp").join(" or ");
  const message =
    sameProtocol.length > 0
      ? `no programmed ${wanted} listener on port ${req.port} of ${gwKey} (${sameProtocol.map((l) => l.name).join(", ")} not ready); connection refused`
      : `port ${req.port} of ${gwKey} serves ${[...new Set(onPort.map((l) => l.protocol))].join("/")}, not ${wanted}; connection refused`;
  const refused = fail(base, ctx, { outcome: "reject", status: null, reason: sameProtocol.length > 0 ? "ListenerNotReady" : "ProtocolMismatch", message });
  for (const n of notProgrammedNotes(ctx.status, sameProtocol)) ctx.notes?.push(n);
  return refused;
}

/** A protocol's hostname index on a port, when it has a programmed listener. */
function usable(h: HostLookup | undefined): HostLookup | undefined {
  return h && !isEmpty(h) ? h : undefined;
}

/** TCP and UDP listeners have no hostname: the port's one listener. */
function streamOn(ctx: DecideContext, req: RequestView, base: Decision, hosts: HostLookup): Decision {
  const li = selectListener(hosts, "");
  if (li === undefined) return fail(base, ctx, { outcome: "reject", status: null, reason: "NoListener", message: `no listener on port ${req.port} takes the connection` });
  ctx.notes?.push(`listener ${label(ctx.rt.table.listeners[li]!)} (port ${req.port}, ${ctx.rt.table.listeners[li]!.protocol}) takes the connection`);
  return decideStreamListener(ctx, req, base, li);
}

/**
 * The handshake: the most specific listener hostname matching the SNI, across HTTPS and TLS
 * listeners on the port (resolve gives them distinct hostnames). None → the handshake fails.
 */
function decideBySni(ctx: DecideContext, req: RequestView, base: Decision, https: HostLookup | undefined, tls: HostLookup | undefined, gwKey: string): Decision {
  const { rt, notes } = ctx;
  const a = https ? selectListener(https, req.sni) : undefined;
  const b = tls ? selectListener(tls, req.sni) : undefined;
  const hostOf = (li: number) => rt.table.listeners[li]!.hostname ?? "*";
  const pick = a === undefined ? b : b === undefined ? a : compareHostSpecificity(hostOf(b), hostOf(a)) < 0 ? b : a;
  if (pick === undefined) {
    if (ctx.status) for (const n of skippedListenerNotes(ctx.status, onPortOf(ctx.rt.table.listeners, gwKey, req.port), ["HTTPS", "TLS"], null, req.sni)) notes?.push(n);
    return fail(base, ctx, {
      outcome: "reject",
      status: null,
      reason: "NoListenerForSNI",
      message: `no ${[https ? "HTTPS" : "", tls ? "TLS" : ""].filter(Boolean).join(" or ")} listener on port ${req.port} of ${gwKey} accepts SNI ${req.sni || "(none)"}; TLS handshake fails`,
    });
  }
  const candidates = (https ? countListeners(https) : 0) + (tls ? countListeners(tls) : 0);
  const listener = rt.table.listeners[pick]!;
  if (ctx.status) for (const n of skippedListenerNotes(ctx.status, onPortOf(rt.table.listeners, gwKey, req.port), ["HTTPS", "TLS"], listener, req.sni)) notes?.push(n);
  if (listener.protocol === "HTTPS") {
    if (req.scheme === "tls") notes?.push(`the TLS stream reaches HTTPS listener ${label(listener)}: its content is read as the HTTP request the request describes`);
    return routeSelected(ctx, req, base, selectHttpsListener(ctx, req, https!, pick, candidates), httpsHost(req));
  }
  if (notes) {
    notes.push(`listener ${label(listener)} (port ${listener.port}, TLS ${listener.tls?.mode ?? ""}, hostname ${listener.hostname ?? "any"}) accepts SNI ${req.sni || "(none)"}${candidates > 1 ? specificityNote(onPortOf(rt.table.listeners, gwKey, req.port), ["HTTPS", "TLS"], req.sni) : ""}`);
    certificateNote(ctx, listener, req.sni);
  }
  const refused = clientCertificateCheck(ctx, listener, req);
  if (refused) {
    base.listener = refOf(listener);
    return fail(base, ctx, refused);
  }
  return decideStreamListener(ctx, req, base, pick);
}

