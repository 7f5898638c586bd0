/**
 * East-west (GAMMA) routing: routes with a Service parentRef, per Service port and caller.
 * GEP-1294 ("xRoutes Mesh Binding"):
 * - a route in the Service's namespace is a *producer* route and applies to every caller;
 *   a route in another namespace is a *consumer* route and applies only to callers in the
 *   route's namespace, which then use their consumer routes instead of the producer's
 *   ("Multiple routes for a Service");
 * - `parentRef.port` binds one port, no port binds every port of the Service ("Ports");
 * - only one route kind applies to a Service port: GRPCRoute, then HTTPRoute, TLSRoute, TCPRoute
 *   ("Route types"); the others are ignored (listed for explanations);
 * - `hostnames` are not used ("hostnames field"): every route competes as hostname `*`.
 */
import type { Graph } from "../resolve/graph.js";
import { ANY_HOST } from "./hostname.js";
import { grpcGroup, type GrpcArrays } from "./grpc.js";
import { httpGroup, type HttpArrays } from "./http.js";
import { streamGroup, type StreamArrays } from "./streams.js";
import type { CompiledMesh, CompiledMeshPort, CompiledMeshRoutes, CompiledMeshService } from "./table.js";

/** GEP-1294 route type specificity on one Service port: the first kind present wins. */
export const MESH_KIND_ORDER = ["GRPCRoute", "HTTPRoute", "TLSRoute", "TCPRoute"] as const;
type MeshKind = (typeof MESH_KIND_ORDER)[number];

/** Where each graph route landed in the table: its kind and index in that kind's arrays. */
export type TableIndexOf = (graphRoute: number) => { kind: string; index: number } | undefined;

interface Collected {
  /** kind → table route indices */
  byKind: Map<string, Set<number>>;
}

export function compileMesh(graph: Graph, tableIndexOf: TableIndexOf, http: HttpArrays, grpc: GrpcArrays, streams: StreamArrays): CompiledMesh {
  const services: Record<string, CompiledMeshService> = Object.create(null);
  const addresses: Record<string, string> = Object.create(null);
  const sorted = [...graph.services].sort((a, b) => cmp(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`));

  // service key → port → role ("" for producer, else the consumer namespace) → routes by kind
  const bound = new Map<string, Map<number, Map<string, Collected>>>();
  // Mesh route kinds all run over TCP (UDPRoute cannot bind a Service): UDP ports get none.
  const portsOf = new Map(sorted.map((s) => [`${s.namespace}/${s.name}`, s.ports.filter((p) => (p.protocol || "TCP").toUpperCase() === "TCP").map((p) => p.port)]));
  for (const a of graph.meshAttachments) {
    const key = `${a.service.namespace}/${a.service.name}`;
    const ports = portsOf.get(key);
    const where = tableIndexOf(a.route);
    const route = graph.routes[a.route];
    if (!ports || !where || !route) continue;
    const role = route.namespace === a.service.namespace ? "" : route.namespace;
    for (const port of ports) {
      if (a.port !== null && a.port !== port) continue;
      let perPort = bound.get(key);
      if (!perPort) bound.set(key, (perPort = new Map()));
      let perRole = perPort.get(port);
      if (!perRole) perPort.set(port, (perRole = new Map()));
      let c = perRole.get(role);
      if (!c) perRole.set(role, (c = { byKind: new Map() }));
      let set = c.byKind.get(where.kind);
      if (!set) c.byKind.set(where.kind, (set = new Set()));
      set.add(where.index);
    }
  }

  for (const s of sorted) {
    const key = `${s.namespace}/${s.name}`;
    const id = `service/${key}`;
    const bindings: Record<string, CompiledMeshPort> = Object.create(null);
    for (const [port, perRole] of [...(bound.get(key) ?? new Map<number, Map<string, Collected>>())].sort((a, b) => a[0] - b[0])) {
      const consumers: Record<string, CompiledMeshRoutes> = Object.create(null);
      let producer: CompiledMeshRoutes | null = null;
      for (const role of [...perRole.keys()].sort(cmp)) {
        const routes = routeSet(`${id}/port/${port}/${role === "" ? "producer" : `consumer/${role}`}`, perRole.get(role)!, http, grpc, streams);
        if (routes === null) continue;
        if (role === "") producer = routes;
        else consumers[role] = routes;
      }
      bindings[String(port)] = { producer, consumers };
    }
    services[key] = {
      id,
      namespace: s.namespace,
      name: s.name,
      type: s.type,
      clusterIP: s.clusterIP,
      ports: s.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol, appProtocol: p.appProtocol })),
      bindings,
    };
    if (s.clusterIP !== null && !Object.hasOwn(addresses, s.clusterIP)) addresses[s.clusterIP] = key;
  }
  return { services, addresses };
}

function routeSet(id: string, c: Collected, http: HttpArrays, grpc: GrpcArrays, streams: StreamArrays): CompiledMeshRoutes | null {
  const kind = MESH_KIND_ORDER.find((k) => (c.byKind.get(k)?.size ?? 0) > 0) as MeshKind | undefined;
  if (kind === undefined) return null;
  const list = [...c.byKind.get(kind)!].sort((a, b) => a - b);
  const ignored: CompiledMeshRoutes["ignored"][number][] = [];
  for (const other of MESH_KIND_ORDER) {
    if (other === kind) continue;
    for (const i of [...(c.byKind.get(other) ?? [])].sort((a, b) => a - b)) {
      const r = other === "HTTPRoute" ? http.routes[i]! : other === "GRPCRoute" ? grpc.routes[i]! : streams.routes[i]!;
      ignored.push({ kind: other, namespace: r.namespace, name: r.name });
    }
  }
  return {
    id,
    kind,
    ignored,
    http: kind === "HTTPRoute" ? httpGroup(`${id}/http`, ANY_HOST, list, http) : null,
    grpc: kind === "GRPCRoute" ? grpcGroup(`${id}/grpc`, ANY_HOST, list, grpc) : null,
    streams: kind === "TLSRoute" || kind === "TCPRoute" ? streamGroup(`${id}/streams`, ANY_HOST, list, streams.routes).routes : [],
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
