/**
 * East-west requests (GAMMA): a request to a Service (`service`, or its clusterIP as
 * `address`) and port, from a caller in namespace `from`. GEP-1294:
 * - the caller's namespace's consumer routes for that Service port apply if it has any, else
 *   the producer routes (in the Service's namespace), else none;
 * - with no route the request goes to the Service itself ("Route presence": routes replace the
 *   implicit behaviour, they do not add to it);
 * - only one route kind applies per Service port (GRPCRoute, HTTPRoute, TLSRoute, TCPRoute);
 * - hostnames are not used; the Service (its address), not the Host header, selects the routes
 *   (MeshFrontendHostname).
 * Matching, precedence, filters and weights are the north-south ones, with the Service port
 * standing for the listener port.
 */
import { setHeader } from "./normalize.js";
import type { CompiledMeshRoutes, CompiledMeshService } from "../compile/table.js";
import type { Decision } from "../model/decision.js";
import { backendLabel, type Frontend } from "./forward.js";
import { routeGrpc } from "./grpc.js";
import { applyHttpMatch, explainRouting, firstMatch, grpcInputOf, matchInputOf } from "./http.js";
import { fail } from "./listener.js";
import { namespacedKey, type RequestView } from "./request.js";
import { forwardOrdered } from "./streams.js";
import type { DecideContext } from "./index.js";

/** The Service's cluster DNS name, the Host a mesh request carries when it names none. */
const clusterName = (svc: CompiledMeshService): string => `${svc.name}.${svc.namespace}.svc.cluster.local`;

export function decideMesh(ctx: DecideContext, req: RequestView, base: Decision): Decision {
  const { rt, notes } = ctx;
  let key: string | undefined;
  if (req.service !== null) {
    key = namespacedKey(req.service);
  } else {
    key = rt.meshAddresses.get(req.address!.trim().toLowerCase());
    if (key === undefined) {
      // Not a Service frontend (a pod IP, say): the mesh has nothing to route by (MeshFrontend).
      notes?.push(`address ${req.address} is no Service's clusterIP: mesh routes do not apply, the request goes to that address as sent`);
      return Object.assign(base, { outcome: "forward" as const, status: null, forwarded: passThrough(req, req.host), reason: "NotAServiceAddress", message: `address ${req.address} is not a Service frontend` });
    }
  }
  const svc = rt.meshServices.get(key);
  if (!svc) {
    // `ns/name:port` reads as a Service named `name:port`: say where the port goes.
    const withPort = /^(.*):(\d+)$/.exec(key);
    const hint = withPort && rt.meshServices.has(withPort[1]!) ? ` (Service ${withPort[1]} exists: give the port in the request's port field, not in service)` : "";
    return fail(base, ctx, { outcome: "reject", status: null, reason: "ServiceNotFound", message: `Service ${key} not found; the connection fails${hint}` });
  }
  // A Service port is a port number and a transport: UDP datagrams need a UDP port.
  const transport = req.scheme === "udp" ? "UDP" : "TCP";
  const port = svc.ports.find((p) => p.port === req.port && (p.protocol || "TCP").toUpperCase() === transport);
  if (!port) {
    const listed = svc.ports.map((p) => `${p.port}${(p.protocol || "TCP").toUpperCase() === "TCP" ? "" : `/${p.protocol}`}`).join(", ") || "none";
    return fail(base, ctx, {
      outcome: "reject",
      status: null,
      reason: "NoServicePort",
      message: `Service ${key} has no ${transport} port ${req.port} (ports: ${listed}); the ${transport === "UDP" ? "datagrams are dropped" : "connection is refused"}`,
    });
  }
  const binding = transport === "TCP" ? svc.bindings[String(req.port)] : undefined;
  const from = req.from;
  const consumers = from !== null && binding ? binding.consumers[from] : undefined;
  const set = consumers ?? binding?.producer ?? null;
  base.mesh = { service: key, port: req.port, from, routes: set === null ? null : consumers ? "consumer" : "producer" };
  if (notes) {
    notes.push(`Service ${key} port ${req.port}${port.name ? ` (${port.name})` : ""}${req.service === null ? ` (clusterIP ${req.address})` : ""}, caller namespace ${from ?? "not given"}`);
    if (consumers) notes.push(`consumer routes of namespace ${from} apply (routes in the caller's namespace with this Service as parent replace the producer's for its callers)`);
    else if (set) notes.push(`producer routes (namespace ${svc.namespace}) apply${from !== null && from !== svc.namespace ? `: namespace ${from} has no consumer route for this Service port` : ""}`);
    if (set && set.ignored.length > 0) {
      notes.push(`${set.kind}s take this Service port; ${set.ignored.map((r) => `${r.kind} ${r.namespace}/${r.name}`).join(", ")} ignored (GEP-1294: one route kind per Service port, GRPCRoute > HTTPRoute > TLSRoute > TCPRoute)`);
    }
  }
  const host = req.hostGiven ? req.host : clusterName(svc);
  if (set === null) return toService(ctx, req, base, svc, host);
  const frontend: Frontend = { port: req.port, protocol: "HTTP" };
  return routeSet(ctx, req, base, set, frontend, host, `Service ${key} port ${req.port}`);
}

function routeSet(ctx: DecideContext, req: RequestView, d: Decision, set: CompiledMeshRoutes, frontend: Frontend, host: string, where: string): Decision {
  const { rt } = ctx;
  const http = req.scheme === "http";
  if (set.kind === "HTTPRoute" || set.kind === "GRPCRoute") {
    if (!http) {
      return fail(d, ctx, { outcome: "reject", status: null, reason: "ProtocolMismatch", message: `${where} is routed by ${set.kind}s (HTTP); a ${req.scheme} connection cannot be read as HTTP and fails` });
    }
    const input = matchInputOf(ctx, req, d, host);
    if (input === null) return d;
    const norm = input;
    if (set.kind === "GRPCRoute") {
      if (req.grpc === null) {
        return fail(d, ctx, { outcome: "notFound", status: 404, reason: "NoMatchingRoute", message: `${where} is routed by GRPCRoutes, which match gRPC calls only; ${req.method} ${norm.path} is not one: 404` });
      }
      return routeGrpc(ctx, req, d, frontend, [set.grpc!], grpcInputOf(req, input), host, `for ${where}`);
    }
    const g = rt.meshGroups.get(set.id)!;
    const winner = firstMatch(rt, g, input);
    if (ctx.notes) explainRouting(ctx, [set.http!], where, input, winner, winner >= 0 ? 0 : -1, true);
    if (winner < 0) {
      return Object.assign(d, { outcome: "notFound" as const, status: 404, reason: "NoMatchingRoute", message: `no rule of the mesh routes for ${where} matches ${req.method} ${norm.path}` });
    }
    return applyHttpMatch(ctx, req, d, frontend, winner, host, norm);
  }
  if (set.kind === "TLSRoute" && req.scheme !== "tls" && req.scheme !== "https") {
    return fail(d, ctx, { outcome: "reject", status: null, reason: "ProtocolMismatch", message: `${where} is routed by TLSRoutes; a ${req.scheme} connection carries no TLS handshake and fails` });
  }
  if (req.scheme === "udp") {
    return fail(d, ctx, { outcome: "reject", status: null, reason: "ProtocolMismatch", message: `${where} is routed by ${set.kind}s (TCP); UDP datagrams are not` });
  }
  // TLSRoute (passthrough: the mesh reads the SNI, the hostnames are not used) or TCPRoute.
  return forwardOrdered(ctx, d, set.streams, "*", false, `for ${where}`);
}

/** No route: the request goes to the Service as if there were no mesh routing. */
function toService(ctx: DecideContext, req: RequestView, d: Decision, svc: CompiledMeshService, host: string): Decision {
  const backend = { group: "", kind: "Service", namespace: svc.namespace, name: svc.name, port: req.port };
  ctx.notes?.push(`no mesh route is bound to Service ${svc.namespace}/${svc.name} port ${req.port}${req.from !== null ? ` for callers in ${req.from}` : ""}: the request goes to ${backendLabel(backend)} itself`);
  return Object.assign(d, {
    outcome: "forward" as const,
    status: null,
    backend,
    backends: [{ ...backend, weight: 1, probability: 1, valid: true, reason: null }],
    forwarded: passThrough(req, host),
  });
}

/** The request as sent: only cleartext HTTP is seen as HTTP by the mesh; anything else is a stream. */
function passThrough(req: RequestView, host: string): Decision["forwarded"] {
  if (req.scheme !== "http") return null;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (k !== "host") setHeader(headers, k, Array.isArray(v) ? [...v] : v);
  return { method: req.method, scheme: req.scheme, host: host + (req.hostPort !== null ? `:${req.hostPort}` : ""), path: req.target, headers };
}
