/**
 * resolve: what a conformant Gateway API controller knows after reading every object, and the
 * status it writes. Pure: objects in, an immutable Graph out; problems become conditions.
 */
import { attachRoutes, routeParentConditions, type ParentOutcome } from "./attach.js";
import { resolveBackendTLSPolicies, type PolicyModel } from "./backend-tls.js";
import { resolveBackendTrafficPolicies } from "./backend-traffic.js";
import { toResolvedService } from "./backends.js";
import { stamp } from "./conditions.js";
import { resolveGatewayClasses, type ClassModel } from "./gateway-classes.js";
import { resolveGateways, type GatewayModel, type GatewayResolution, type ListenerSetModel } from "./gateways.js";
import type { Attachment, Graph, MeshAttachment, ResolvedGateway, ResolvedListener, StatusItem } from "./graph.js";
import type { Resource } from "../schema/index.js";
import type { ForeignObject } from "../manifest/object.js";
import type { InputObject } from "./input.js";
import { generationOf, namespaceOf } from "./input.js";
import { listenerConditions, toResolvedListener, type ListenerModel } from "./listeners.js";
import { indexObjects, STATUS_KIND_ORDER, type ObjectIndex } from "./objects.js";
import { resolveRoutes, type RouteModel } from "./routes.js";
import { xBackendStatus, xBackendsOf } from "./xbackends.js";

export type { InputObject } from "./input.js";

export interface ResolveOptions {
  /** Act only for GatewayClasses whose spec.controllerName is this; every class when unset. */
  controllerName?: string;
  /**
   * Claim the Extended feature TLSRouteModeMixed: TLS listeners of both modes (and HTTPS) may
   * share a port, told apart by SNI. Off by default (such listeners have a ProtocolConflict).
   */
  tlsRouteModeMixed?: boolean;
  /**
   * Objects of kinds gwsim does not read that the manifests hold (ParseResult.skipped): a
   * parametersRef to one of them is an implementation's parameters, accepted and not simulated.
   */
  foreignObjects?: readonly ForeignObject[];
}

/**
 * Resolves objects (after validation; API defaults are applied again here, harmlessly) into the
 * graph the router compiles, with every object's status in `graph.status`.
 * The result does not depend on the order of `resources`.
 */
export function resolve(resources: readonly Resource[], options: ResolveOptions = {}): Graph {
  // resolve reads objects through the looser InputObject shapes (input.ts), which re-apply API
  // defaults; input-compat.ts proves at compile time that every Resource fits them.
  const index = indexObjects(resources as readonly InputObject[], options.foreignObjects);
  const restricted = options.controllerName !== undefined;
  const classes = resolveGatewayClasses(index, options.controllerName);
  const gateways = resolveGateways(index, classes, restricted, { tlsMixed: options.tlsRouteModeMixed === true });
  const routes = resolveRoutes(index);
  const outcomes = attachRoutes({ index, gateways, restricted, controllerName: options.controllerName }, routes);
  const policies = resolveBackendTLSPolicies(index, outcomes, restricted, options.controllerName);
  const trafficPolicies = resolveBackendTrafficPolicies(index, outcomes, restricted, options.controllerName);

  const routeIndex = new Map<RouteModel, number>(routes.map((r, i) => [r, i]));
  const attachments: Attachment[] = [];
  const meshAttachments: MeshAttachment[] = [];
  for (const o of outcomes) {
    if (o.rejection) continue;
    const route = routeIndex.get(o.route) as number;
    for (const a of o.listeners) attachments.push({ route, listener: a.listener.id, parentRefIndex: o.parentRefIndex, hostnames: [...a.hostnames] });
    if (o.mesh) meshAttachments.push({ route, service: { namespace: o.mesh.namespace, name: o.mesh.name }, port: o.mesh.port, parentRefIndex: o.parentRefIndex });
  }

  const listeners: ResolvedListener[] = [];
  for (const gw of gateways.gateways) {
    for (const l of gw.merged) {
      const ls = l.owner.kind === "ListenerSet" ? { namespace: l.owner.namespace, name: l.owner.name } : null;
      listeners.push(toResolvedListener(l, ls));
    }
  }

  const graph: Graph = {
    gateways: gateways.gateways.map(toResolvedGateway),
    listeners,
    routes: routes.map((r) => r.resolved),
    attachments,
    meshAttachments,
    services: index.byKind("Service").map(toResolvedService),
    backendTLSPolicies: policies.resolved,
    backendTrafficPolicies: trafficPolicies.resolved,
    xbackends: [...xBackendsOf(index).values()].map((x) => x.resolved),
    status: buildStatus(index, classes, gateways, routes, outcomes, [...policies.models, ...trafficPolicies.models]),
  };
  return deepFreeze(graph);
}

/** CONTRACT's `gwsim status --json` List; statusOf(world) returns this for world.graph. */
export function statusList(graph: Graph): { apiVersion: "v1"; kind: "List"; items: StatusItem[] } {
  return { apiVersion: "v1", kind: "List", items: graph.status };
}

function toResolvedGateway(gw: GatewayModel): ResolvedGateway {
  return {
    namespace: gw.namespace,
    name: gw.name,
    className: gw.cls.name,
    controllerName: gw.cls.controllerName,
    accepted: gw.accepted,
    programmed: gw.conditions.some((c) => c.type === "Programmed" && c.status === "True"),
    addresses: gw.addresses.map((a) => ({ ...a })),
    backendClientCertificate: gw.clientCertificate ? { ...gw.clientCertificate } : null,
    listenerSets: gw.listenerSets.map((ls) => ({ namespace: ls.namespace, name: ls.name })),
  };
}

function listenerStatus(l: ListenerModel, parentProblem: string | null, generation: number): Record<string, unknown> {
  return {
    name: l.name,
    supportedKinds: l.supportedKinds.map((k) => ({ group: k.group, kind: k.kind })),
    attachedRoutes: l.attachedRoutes,
    conditions: stamp(listenerConditions(l, parentProblem), generation),
  };
}

function item(obj: InputObject, status: Record<string, unknown>): StatusItem {
  const namespace = namespaceOf(obj);
  return {
    apiVersion: obj.apiVersion ?? "gateway.networking.k8s.io/v1",
    kind: obj.kind,
    metadata: { ...(namespace ? { namespace } : {}), name: obj.metadata.name, generation: generationOf(obj) },
    status,
  };
}

function buildStatus(
  index: ObjectIndex,
  classes: Map<string, ClassModel>,
  gateways: GatewayResolution,
  routes: readonly RouteModel[],
  outcomes: readonly ParentOutcome[],
  policies: readonly PolicyModel[],
): StatusItem[] {
  const items: StatusItem[] = [];
  const emitted = new Set<InputObject>();
  const push = (obj: InputObject, status: Record<string, unknown>) => {
    emitted.add(obj);
    items.push(item(obj, status));
  };

  for (const cls of classes.values()) {
    if (cls.object) push(cls.object, { conditions: stamp(cls.conditions, generationOf(cls.object)) });
  }
  for (const gw of gateways.gateways) {
    const status: Record<string, unknown> = {};
    if (gw.addresses.length) status.addresses = gw.addresses.map((a) => ({ ...a }));
    status.conditions = stamp(gw.conditions, gw.generation);
    status.listeners = gw.listeners.map((l) => listenerStatus(l, gw.problem, gw.generation));
    status.attachedListenerSets = gw.listenerSets.filter((ls) => ls.accepted).length;
    push(gw.obj, status);
  }
  for (const ls of gateways.listenerSets) push(ls.obj, listenerSetStatus(ls));

  const parentsByRoute = new Map<RouteModel, ParentOutcome[]>();
  for (const o of outcomes) {
    const list = parentsByRoute.get(o.route) ?? [];
    list.push(o);
    parentsByRoute.set(o.route, list);
  }
  for (const r of routes) {
    const parents = (parentsByRoute.get(r) ?? []).map((o) => ({
      parentRef: { ...o.statusRef },
      controllerName: o.controllerName,
      conditions: stamp(routeParentConditions(o), r.generation),
    }));
    push(r.obj, { parents });
  }
  for (const p of policies) {
    push(
      p.obj,
      p.ancestors === null
        ? {}
        : { ancestors: p.ancestors.map((a) => ({ ancestorRef: { ...a.ancestorRef }, controllerName: a.controllerName, conditions: stamp(a.conditions, p.generation) })) },
    );
  }
  for (const x of xBackendsOf(index).values()) push(x.obj, xBackendStatus(x, outcomes));
  // Objects of these kinds that gwsim does not act for are listed with an empty status.
  for (const obj of index.all) {
    if (emitted.has(obj) || !(STATUS_KIND_ORDER as readonly string[]).includes(obj.kind)) continue;
    push(obj, {});
  }
  return items.sort(compareItems);
}

function listenerSetStatus(ls: ListenerSetModel): Record<string, unknown> {
  const status: Record<string, unknown> = { conditions: stamp(ls.conditions, ls.generation) };
  const parentProblem = ls.gateway?.problem ?? null;
  if (ls.attached) status.listeners = ls.listeners.map((l) => listenerStatus(l, parentProblem, ls.generation));
  return status;
}

function compareItems(a: StatusItem, b: StatusItem): number {
  const order = STATUS_KIND_ORDER as readonly string[];
  const ka = order.indexOf(a.kind);
  const kb = order.indexOf(b.kind);
  if (ka !== kb) return ka - kb;
  const na = `${a.metadata.namespace ?? ""}/${a.metadata.name}`;
  const nb = `${b.metadata.namespace ?? ""}/${b.metadata.name}`;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
