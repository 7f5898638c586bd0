/**
 * Hand-made worlds and decisions for testing the live adapter's socket layer without the core:
 * the adapter reads only listeners and services from a world, and carries out whatever
 * decision it is given.
 */
import type { BackendId, Decision, GatewayRequest, ResolvedListener, ResolvedService, World } from "../../packages/core/src/index.js";

export function httpListener(port: number, over: Partial<ResolvedListener> = {}): ResolvedListener {
  const gateway = over.gateway ?? { namespace: "infra", name: "edge" };
  const name = over.name ?? `http-${port}`;
  return {
    id: `gateway/${gateway.namespace}/${gateway.name}/listener/${name}`,
    gateway,
    listenerSet: null,
    name,
    port,
    protocol: "HTTP",
    hostname: null,
    tls: null,
    supportedKinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
    ready: true,
    ...over,
  };
}

export function service(namespace: string, name: string, port: number, appProtocol: string | null = null): ResolvedService {
  return { namespace, name, clusterIP: null, type: "ClusterIP", externalName: null, ports: [{ name: "http", port, targetPort: port, protocol: "TCP", appProtocol }] };
}

export function fakeWorld(listeners: ResolvedListener[], services: ResolvedService[] = []): World {
  return {
    graph: { listeners, routes: [], attachments: [], meshAttachments: [], services, backendTLSPolicies: [], status: [] },
    table: { fake: true } as unknown as World["table"],
    diagnostics: [],
    options: {},
    objects: [],
  };
}

export function backend(namespace: string, name: string, port: number): BackendId {
  return { group: "", kind: "Service", namespace, name, port };
}

/** A decision with every field, defaults filled. */
export function decision(over: Partial<Decision>): Decision {
  return {
    outcome: "notFound",
    status: null,
    listener: null,
    route: null,
    backend: null,
    backends: [],
    forwarded: null,
    redirect: null,
    responseHeaders: null,
    mirrors: [],
    timeouts: null,
    retry: null,
    sessionPersistence: null,
    backendTLS: null,
    ...over,
  };
}

/** Forward the request unchanged to `to` (as a core without filters would). */
export function forwardTo(request: GatewayRequest, to: BackendId, over: Partial<Decision> = {}): Decision {
  return decision({
    outcome: "forward",
    listener: { gateway: request.gateway ?? "", name: "http", port: request.port ?? 80 },
    route: { kind: "HTTPRoute", namespace: to.namespace, name: "r", rule: 0, ruleName: null, match: 0 },
    backend: to,
    backends: [{ ...to, weight: 1, probability: 1, valid: true, reason: null }],
    forwarded: {
      method: request.method ?? "GET",
      scheme: request.scheme ?? "http",
      host: (request.host ?? "").replace(/:\d+$/, "").toLowerCase(),
      path: request.path ?? "/",
      headers: { ...(request.headers ?? {}) },
    },
    ...over,
  });
}
