/** Reading what a log says the real gateway did, in terms the simulation can compare. */
export interface ObservedBackend {
  namespace: string | null;
  name: string;
  port: number | null;
}

/**
 * A backend named by a log, when it names a Kubernetes Service: `ns/name:port` (the port is
 * required: HAProxy's `backend/server` has the same shape without it),
 * Envoy/Istio `outbound|port||name.ns.svc.cluster.local`, `name.ns.svc[.cluster.local][:port]`,
 * NGINX Gateway Fabric upstreams `ns_name_port`. Anything else is not comparable: null.
 */
export function parseObservedBackend(text: string): ObservedBackend | null {
  const t = text.trim();
  let m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?):(\d+)$/.exec(t);
  if (m) return { namespace: m[1]!, name: m[3]!, port: Number(m[5]) };
  m = /^outbound\|(\d*)\|[^|]*\|([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.[a-z0-9.-]+)?$/.exec(t);
  if (m) return { namespace: m[3]!, name: m[2]!, port: m[1] ? Number(m[1]) : null };
  m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?(?::(\d+))?$/.exec(t);
  if (m) return { namespace: m[2]!, name: m[1]!, port: m[3] ? Number(m[3]) : null };
  // Kubernetes names cannot hold `_`, so exactly three parts ending in a number are ns_name_port.
  m = /^([a-z0-9-]+)_([a-z0-9-]+)_(\d+)$/.exec(t);
  if (m) return { namespace: m[1]!, name: m[2]!, port: Number(m[3]) };
  return null;
}

export function sameBackend(o: ObservedBackend, b: { namespace: string; name: string; port: number | null }): boolean {
  return o.name === b.name && (o.namespace === null || o.namespace === b.namespace) && (o.port === null || o.port === b.port);
}

export function formatObservedBackend(o: ObservedBackend): string {
  return `${o.namespace ?? "?"}/${o.name}${o.port !== null ? `:${o.port}` : ""}`;
}
