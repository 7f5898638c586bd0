/**
 * One JSON line per request: the access log (what happened, for people and log pipelines) and
 * `--record` (the request and its decision with what was observed, which `gwsim replay` reads
 * back as a trace: the request fields at the top level, `observed` beside them).
 */
import type { Exchange } from "./types.js";

/** The access log line as an object (what `accessLogLine` writes; kept for tests and tools). */
export function accessLogRecord(x: Exchange): Record<string, unknown> {
  const d = x.decision;
  const r = x.request;
  return {
    time: isoTime(x.started),
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
    grpcStatus: x.grpcStatus,
    aborted: x.aborted || undefined,
    generation: x.generation,
  };
}

const str = (v: string | null | undefined): string => (v === null || v === undefined ? "null" : JSON.stringify(v));

/**
 * One JSON line per request, written field by field (the same text JSON.stringify of
 * `accessLogRecord` gives, at a fraction of the cost: this runs for every request).
 */
export function accessLogLine(x: Exchange): string {
  const d = x.decision;
  const r = x.request;
  const listener = d?.listener ? str(`${d.listener.gateway}/${d.listener.name}`) : "null";
  const route = d?.route ? str(`${d.route.kind}/${d.route.namespace}/${d.route.name}`) : "null";
  const rule = d?.route?.rule ?? null;
  return (
    `{"time":"${isoTime(x.started)}","index":${x.index},"frontend":${str(x.frontend)},"listener":${listener},` +
    `"method":${str(r.method)},"host":${str(r.host)},"path":${str(r.path)},"protocol":${str(r.protocol)},` +
    `"status":${x.status},"outcome":${str(d?.outcome)},"route":${route},"rule":${rule === null ? "null" : JSON.stringify(rule)},` +
    `"backend":${str(x.backend)},"endpoint":${str(x.endpoint)},"attempts":${x.attempts},"mirrors":${x.mirrors},` +
    `"durationMs":${round(x.durationMs)},"upstreamMs":${x.upstreamMs === null ? "null" : round(x.upstreamMs)},"reason":${str(x.reason)},` +
    `${x.grpcStatus === undefined ? "" : `"grpcStatus":${x.grpcStatus},`}${x.aborted ? '"aborted":true,' : ""}"generation":${x.generation}}\n`
  );
}

let lastMs = NaN;
let lastIso = "";

/** ISO time of an epoch millisecond, reused while requests arrive within the same millisecond. */
function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/**
 * A trace line: the request as decided, `time`, the `decision`, and `observed` {backend,
 * upstreamHost, status}. A line written before the request's outcome is known (see
 * record-order.ts) has `pending: true` and no status.
 */
export function recordLine(x: Exchange, options: { pending?: boolean } = {}): string {
  const observed: { backend?: string; upstreamHost?: string; status?: number; grpcStatus?: number; pending?: true } = options.pending ? { pending: true } : { status: x.status };
  // A gRPC call the gateway answered itself is HTTP 200 on the wire; its grpc-status is the answer.
  if (!options.pending && x.grpcStatus !== undefined) observed.grpcStatus = x.grpcStatus;
  if (x.backend && x.endpoint) {
    observed.backend = x.backend;
    observed.upstreamHost = x.endpoint;
  }
  return `${JSON.stringify({ ...x.request, id: x.request.id ?? x.index, time: isoTime(x.started), decision: x.decision, observed })}\n`;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
