import { GATEWAY_GROUP, RouteReason } from "../model/conditions.js";
import type { Problem } from "./conditions.js";
import type { ResolvedBackend, ResolvedService, RouteFilter, RouteKind } from "./graph.js";
import type { BackendRefIn, InputObject, ServiceSpecIn } from "./input.js";
import { arr, namespaceOf, specOf } from "./input.js";
import type { ObjectIndex } from "./objects.js";
import { isXBackendRef, resolveXBackendRef } from "./xbackends.js";
import { likelyMeant } from "./typo.js";

/**
 * Service port appProtocols each route kind can send traffic with (compared lower-case).
 * `null` means any. KEP-3726 standard names plus the IANA names in common use; anything
 * else (for example `mysql`, or a domain-prefixed protocol gwsim does not know) is
 * UnsupportedProtocol for HTTP and gRPC routes.
 */
const APP_PROTOCOLS: Readonly<Record<RouteKind, ReadonlySet<string> | null>> = {
  HTTPRoute: new Set(["http", "https", "h2c", "http2", "grpc", "ws", "wss", "kubernetes.io/h2c", "kubernetes.io/ws", "kubernetes.io/wss"]),
  // gRPC needs HTTP/2: prior-knowledge h2c or TLS with ALPN.
  GRPCRoute: new Set(["grpc", "h2c", "http2", "https", "kubernetes.io/h2c"]),
  TLSRoute: null,
  TCPRoute: null,
  UDPRoute: null,
};

/** The transport a route kind needs from the Service port. */
const TRANSPORT: Readonly<Record<RouteKind, string>> = {
  HTTPRoute: "TCP",
  GRPCRoute: "TCP",
  TLSRoute: "TCP",
  TCPRoute: "TCP",
  UDPRoute: "UDP",
};

export interface BackendContext {
  index: ObjectIndex;
  /** The kind and namespace of the object holding the reference (for ReferenceGrant). */
  fromKind: string;
  fromNamespace: string;
  routeKind: RouteKind;
  /**
   * A mesh route (every parentRef a Service) may send to backends in any namespace without a
   * ReferenceGrant: mesh routes augment Services rather than expose them (GEP-1294).
   */
  meshOnly?: boolean;
}

export interface BackendResult {
  backend: ResolvedBackend;
  problem: Problem | null;
}

/**
 * Resolves one backendRef. Checks run in this order: kind, ReferenceGrant, existence, port,
 * Service type, protocol. The grant is checked before existence so that a route cannot probe
 * for objects in namespaces that did not grant it access.
 */
export function resolveBackendRef(ctx: BackendContext, ref: BackendRefIn, where: string, filters: RouteFilter[] = []): BackendResult {
  const group = ref.group ?? "";
  const kind = ref.kind ?? "Service";
  const namespace = ref.namespace ?? ctx.fromNamespace;
  const weight = typeof ref.weight === "number" ? ref.weight : 1;
  const port = typeof ref.port === "number" ? ref.port : null;
  const backend: ResolvedBackend = {
    group,
    kind,
    namespace,
    name: ref.name,
    port,
    weight,
    valid: false,
    reason: null,
    message: null,
    filters,
    appProtocol: null,
  };
  const fail = (reason: string, message: string): BackendResult => {
    backend.reason = reason;
    backend.message = `${where}: ${message}`;
    return { backend, problem: { reason, message: backend.message } };
  };
  const display = `${group ? `${group}/` : ""}${kind} ${namespace}/${ref.name}`;
  if (isXBackendRef(group, kind)) return resolveXBackendRef(ctx, backend, fail);
  if (group !== "" || kind !== "Service") {
    const supported = 'a Service (group "", kind Service) or an XBackend (group gateway.networking.x-k8s.io)';
    // Envoy Gateway's Backend, a multicluster ServiceImport...: said to be out of gwsim's reach
    // rather than wrong, since the implementation the manifests were written for may serve it.
    if (group !== "" && group !== GATEWAY_GROUP && group !== "gateway.networking.x-k8s.io") {
      return fail(RouteReason.InvalidKind, `${display}: backend kind ${group}/${kind} is not one gwsim simulates (an implementation's or extension's own), so its share of requests answers 500 here; gwsim sends to ${supported}`);
    }
    return fail(RouteReason.InvalidKind, `${display}: backend kind ${group ? `${group}/` : ""}${kind} is not supported; use ${supported}`);
  }
  const permitted = ctx.meshOnly || ctx.index.grants.permits(
    { group: GATEWAY_GROUP, kind: ctx.fromKind, namespace: ctx.fromNamespace },
    { group: "", kind: "Service", namespace, name: ref.name },
  );
  if (!permitted) {
    return fail(
      RouteReason.RefNotPermitted,
      `Service ${namespace}/${ref.name} is in another namespace and no ReferenceGrant in ${namespace} lets ${ctx.fromKind}s from ${ctx.fromNamespace} reference it`,
    );
  }
  const svc = ctx.index.get("Service", namespace, ref.name);
  if (!svc) {
    // Only Services of the namespace the reference is already permitted into are named.
    const meant = likelyMeant(ref.name, ctx.index.byKind("Service").filter((s) => namespaceOf(s) === namespace).map((s) => s.metadata.name));
    return fail(RouteReason.BackendNotFound, `Service ${namespace}/${ref.name} not found${meant ? ` (did you mean ${meant}?)` : ""}`);
  }
  const spec = specOf<ServiceSpecIn>(svc);
  if (port === null) return fail(RouteReason.BackendNotFound, `a backendRef to Service ${namespace}/${ref.name} needs a port`);
  if (spec.type === "ExternalName") {
    // The spec says implementations SHOULD NOT support ExternalName (CVE-2021-25740).
    const target = spec.externalName ? ` ${spec.externalName}` : "";
    return fail(
      RouteReason.InvalidKind,
      `Service ${namespace}/${ref.name} is of type ExternalName, which gwsim does not forward to; use a ClusterIP Service, or to reach${target || " an outside host"} ` +
        `an XBackend (gateway.networking.x-k8s.io, type ExternalHostname) or a Service without a selector and its own EndpointSlice`,
    );
  }
  const ports = arr(spec.ports);
  const sp = ports.find((p) => Number(p.port) === port);
  if (!sp) {
    const have = ports.map((p) => `${p.port}${p.name ? `/${p.name}` : ""}`);
    return fail(RouteReason.BackendNotFound, `Service ${namespace}/${ref.name} has no port ${port} (ports: ${have.length ? have.join(", ") : "none"})`);
  }
  backend.appProtocol = sp.appProtocol ?? null;
  const transport = (sp.protocol ?? "TCP").toUpperCase();
  if (transport !== TRANSPORT[ctx.routeKind]) {
    return fail(
      RouteReason.UnsupportedProtocol,
      `Service ${namespace}/${ref.name} port ${port} is ${transport}, but a ${ctx.routeKind} needs a ${TRANSPORT[ctx.routeKind]} port`,
    );
  }
  const allowed = APP_PROTOCOLS[ctx.routeKind];
  if (allowed && sp.appProtocol && !allowed.has(sp.appProtocol.toLowerCase())) {
    return fail(
      RouteReason.UnsupportedProtocol,
      `Service ${namespace}/${ref.name} port ${port} has appProtocol ${sp.appProtocol}, which a ${ctx.routeKind} cannot speak (it can: ${[...allowed].join(", ")})`,
    );
  }
  backend.valid = true;
  return { backend, problem: null };
}

export function toResolvedService(svc: InputObject): ResolvedService {
  const spec = specOf<ServiceSpecIn>(svc);
  return {
    namespace: namespaceOf(svc),
    name: svc.metadata.name,
    clusterIP: spec.clusterIP && spec.clusterIP !== "None" ? spec.clusterIP : null,
    type: spec.type ?? "ClusterIP",
    ports: arr(spec.ports).map((p) => ({
      name: p.name ?? null,
      port: Number(p.port),
      targetPort: p.targetPort ?? Number(p.port), // the API server defaults targetPort to port
      protocol: p.protocol ?? "TCP",
      appProtocol: p.appProtocol ?? null,
    })),
    externalName: spec.externalName ?? null,
  };
}
