/**
 * Prometheus metrics of the live adapter, in a registry of its own (several adapters can live in
 * one process, as in tests).
 */
import type { CompiledRule, RouteTable } from "@gwsim/core";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { backendKey } from "./endpoints.js";
import type { Exchange } from "./types.js";

export interface ServeMetrics {
  registry: Registry;
  requests: Counter<"listener" | "route" | "rule" | "backend" | "status">;
  duration: Histogram<"listener" | "route">;
  upstreamDuration: Histogram<"backend">;
  openConnections: Gauge<"frontend">;
  inflight: Gauge;
  reloads: Counter;
  reloadFailures: Counter;
  lastReloadSuccessful: Gauge;
  refused: Counter<"frontend" | "status">;
  tlsRejected: Counter<"frontend" | "reason">;
  mirrors: Counter<"backend">;
  streams: Counter<"listener" | "route" | "backend" | "result">;
  mirrorFailures: Counter<"backend" | "reason">;
  generation: Gauge;
}

/** `inflight` reads the requests in flight when scraped (no gauge update per request). */
export function createMetrics(inflight?: () => number): ServeMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: "gwsim_requests_total",
      help: "Requests served, by listener, route, rule, backend and status sent to the client",
      labelNames: ["listener", "route", "rule", "backend", "status"],
      registers,
    }),
    duration: new Histogram({
      name: "gwsim_request_duration_seconds",
      help: "Time from request arrival to the end of the response",
      labelNames: ["listener", "route"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    upstreamDuration: new Histogram({
      name: "gwsim_upstream_response_seconds",
      help: "Time from sending a request to a backend to its response headers",
      labelNames: ["backend"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    openConnections: new Gauge({ name: "gwsim_open_connections", help: "Client connections open, by frontend", labelNames: ["frontend"], registers }),
    inflight: new Gauge({
      name: "gwsim_requests_in_flight",
      help: "Requests being served",
      registers,
      ...(inflight ? { collect(this: Gauge) { this.set(inflight()); } } : {}),
    }),
    reloads: new Counter({ name: "gwsim_reloads_total", help: "Successful configuration reloads", registers }),
    reloadFailures: new Counter({
      name: "gwsim_reload_failures_total",
      help: "Reloads refused: the new configuration did not load, or one of its listeners could not be opened (the previous configuration stayed in force, whole)",
      registers,
    }),
    // As Prometheus's own prometheus_config_last_reload_successful: alert on 0, not on a rate.
    lastReloadSuccessful: new Gauge({ name: "gwsim_config_last_reload_successful", help: "1 when the latest reload (or the start) put its configuration in force, 0 when it was refused", registers }),
    refused: new Counter({
      name: "gwsim_refused_requests_total",
      help: "Requests refused before routing: malformed, or a Host that is invalid, sent twice or differs from :authority (400), CONNECT (405), too slow (408), headers too large (431, HTTP/1.1 and HTTP/2 alike), and 0 for HTTP/2 header blocks the http2 layer refused before serve saw them (a stream reset for too many fields or a malformed block, a connection closed for too many CONTINUATION frames)",
      labelNames: ["frontend", "status"],
      registers,
    }),
    tlsRejected: new Counter({
      name: "gwsim_tls_handshake_failures_total",
      help: "TLS connections refused in the handshake, by reason: no_listener (no listener takes the SNI), no_certificate, not_tls (e.g. plain HTTP), timeout (no complete handshake in time; on a port with a Passthrough listener, no ClientHello in time), handshake_failed",
      labelNames: ["frontend", "reason"],
      registers,
    }),
    streams: new Counter({
      name: "gwsim_stream_connections_total",
      help: "TLS passthrough, TCP and UDP connections (UDP: flows), by listener, route, backend and result: relayed, rejected (no route), no_endpoints, connect_error, error",
      labelNames: ["listener", "route", "backend", "result"],
      registers,
    }),
    mirrors: new Counter({ name: "gwsim_mirrored_requests_total", help: "Copies sent to mirror backends", labelNames: ["backend"], registers }),
    mirrorFailures: new Counter({
      name: "gwsim_mirror_failures_total",
      help: "Mirrored copies that got no complete answer, by reason: connect_error, timeout (30 s), error (reset, invalid answer), no_endpoints (not sent)",
      labelNames: ["backend", "reason"],
      registers,
    }),
    generation: new Gauge({ name: "gwsim_config_generation", help: "Generation of the configuration in force", registers }),
  };
}

/**
 * Label values for one finished request. `listener` is always `namespace/gateway/listener`, as in
 * the access log, or "" when no listener took the request (no listener for the Host, nothing
 * decided), as `route` is "" without a route: the frontend key (`ns/gw:80/http`) is no listener
 * and would split one label into two spellings. The frontend stays in the access log.
 */
export function exchangeLabels(x: Exchange): { listener: string; route: string; rule: string; backend: string; status: string } {
  const d = x.decision;
  const listener = d?.listener ? `${d.listener.gateway}/${d.listener.name}` : "";
  const route = d?.route ? `${d.route.kind}/${d.route.namespace}/${d.route.name}` : "";
  const rule = d?.route?.rule === null || d?.route?.rule === undefined ? "" : String(d.route.ruleName ?? d.route.rule);
  return { listener, route, rule, backend: x.backend ?? "", status: String(x.status) };
}

/**
 * What became of a TLS passthrough, TCP or UDP connection. Their `status` is 0 whatever happened
 * (no HTTP status exists), so in gwsim_requests_total a connection relayed and one whose backend
 * refused it looked the same; this tells them apart.
 */
export function streamResult(x: Exchange): "relayed" | "rejected" | "no_endpoints" | "connect_error" | "error" {
  if (!x.decision || x.decision.outcome !== "forward") return "rejected";
  const reason = x.reason ?? "";
  if (reason.startsWith("no endpoints")) return "no_endpoints";
  if (reason.startsWith("upstream ") && x.upstreamMs === null && x.request.scheme !== "udp") return "connect_error";
  if (x.attempts === 0) return "error";
  return "relayed";
}

export function observeExchange(m: ServeMetrics, x: Exchange): void {
  const labels = exchangeLabels(x);
  m.requests.inc(labels);
  if (x.request.protocol === undefined) m.streams.inc({ listener: labels.listener, route: labels.route, backend: labels.backend, result: streamResult(x) });
  m.duration.observe({ listener: labels.listener, route: labels.route }, x.durationMs / 1000);
  if (x.upstreamMs !== null && x.backend) m.upstreamDuration.observe({ backend: x.backend }, x.upstreamMs / 1000);
}

/** The `listener`, `route` and `backend` label values a configuration can produce. */
export interface LabelsInForce {
  listeners: ReadonlySet<string>;
  routes: ReadonlySet<string>;
  backends: ReadonlySet<string>;
}

/**
 * The label values of `table`, spelled as exchangeLabels spells them; null when the table is not
 * a compiled one (nothing can be said to be gone then). Backends: every backendRef of every rule
 * and of its filters (mirrors), XBackends included.
 */
export function labelsInForce(table: RouteTable): LabelsInForce | null {
  if (!Array.isArray(table.listeners) || !Array.isArray(table.routes)) return null;
  const backends = new Set<string>();
  const addFilters = (filters: readonly unknown[] | undefined) => {
    for (const f of filters ?? []) {
      for (const value of Object.values(f as object)) {
        const ref = (value as { backendRef?: { namespace?: unknown; name?: unknown; port?: number | null } } | null)?.backendRef;
        if (ref && typeof ref.namespace === "string" && typeof ref.name === "string") backends.add(backendKey({ namespace: ref.namespace, name: ref.name, port: ref.port ?? null }));
      }
    }
  };
  const visit = (rules: readonly CompiledRule[] | undefined) => {
    for (const rule of rules ?? []) {
      addFilters(rule.filters);
      for (const b of rule.backends) {
        backends.add(backendKey(b));
        addFilters(b.filters);
      }
    }
  };
  visit(table.rules);
  visit(table.grpcRules);
  visit(table.streamRules);
  const routes = new Set([...table.routes, ...(table.grpcRoutes ?? []), ...(table.streamRoutes ?? [])].map((r) => `${r.kind}/${r.namespace}/${r.name}`));
  return { listeners: new Set(table.listeners.map((l) => `${l.gateway}/${l.name}`)), routes, backends };
}

/**
 * Drops the series of listeners, routes and backends a reload took away. Their label sets would
 * otherwise stay for the life of the process: a serve whose routes are renamed or regenerated
 * on every reload grew ~19 series (a counter and a histogram) per reload, without bound. A
 * request of the old configuration finishing afterwards puts its series back (once). Returns how
 * many label sets were dropped. Series labelled by frontend are kept: a frontend a reload
 * replaced still counts its connections as they close.
 */
export async function pruneMetrics(m: ServeMetrics, keep: LabelsInForce): Promise<number> {
  const gone = (labels: Record<string, string | number | undefined>): boolean => {
    const { listener, route, backend } = labels;
    return (
      (typeof listener === "string" && listener !== "" && !keep.listeners.has(listener)) ||
      (typeof route === "string" && route !== "" && !keep.routes.has(route)) ||
      (typeof backend === "string" && backend !== "" && !keep.backends.has(backend))
    );
  };
  let dropped = 0;
  const metrics: { get(): Promise<{ values: { labels: Record<string, string | number | undefined> }[] }>; remove(labels: Record<string, string | number>): void }[] = [
    m.requests,
    m.duration,
    m.upstreamDuration,
    m.streams,
    m.mirrors,
    m.mirrorFailures,
  ] as never;
  for (const metric of metrics) {
    const sets = new Map<string, Record<string, string | number>>();
    for (const { labels } of (await metric.get()).values) {
      if (!gone(labels)) continue;
      // A histogram lists each label set once per bucket (with `le`), and for _sum and _count.
      const own: Record<string, string | number> = {};
      for (const [name, value] of Object.entries(labels)) if (name !== "le" && value !== undefined) own[name] = value;
      sets.set(JSON.stringify(own), own);
    }
    for (const labels of sets.values()) metric.remove(labels);
    dropped += sets.size;
  }
  return dropped;
}
