/**
 * One JSON line per request: the access log (what happened, for people and log pipelines) and
 * `--record` (the request and its decision with what was observed, which `gwsim replay` reads
 * back as a trace: the request fields at the top level, `observed` beside them).
 */
import type { Exchange } from "./types.js";

export function accessLogLine(x: Exchange): string {
  const d = x.decision;
  const r = x.request;
  return `${JSON.stringify({
    time: new Date(x.started).toISOString(),
    index: x.index,
    frontend: x.frontend,
    listener: d?.listener ? `${d.listener.gateway}/${d.listener.name}` : null,
    method: r.method,
    host: r.host ?? null,
    path: r.path,
    protocol: r.protocol,
    status: x.status,
    outcome: d?.outcome ?? null,
    route: d?.route ? `${d.route.kind}/${d.route.namespace}/${d.route.name}` : null,
    rule: d?.route?.rule ?? null,
    backend: x.backend,
    endpoint: x.endpoint,
    attempts: x.attempts,
    mirrors: x.mirrors,
    durationMs: round(x.durationMs),
    upstreamMs: x.upstreamMs === null ? null : round(x.upstreamMs),
    reason: x.reason,
    aborted: x.aborted || undefined,
    generation: x.generation,
  })}\n`;
}

/** A trace line: the request as decided, `time`, the `decision`, and `observed` {backend, upstreamHost, status}. */
export function recordLine(x: Exchange): string {
  const observed: { backend?: string; upstreamHost?: string; status: number } = { status: x.status };
  if (x.backend && x.endpoint) {
    observed.backend = x.backend;
    observed.upstreamHost = x.endpoint;
  }
  return `${JSON.stringify({ ...x.request, id: x.request.id ?? x.index, time: new Date(x.started).toISOString(), decision: x.decision, observed })}\n`;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
