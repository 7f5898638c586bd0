import { sourceOf } from "../manifest/object.js";
import { ConditionType, DEFAULT_CONTROLLER_NAME, GATEWAY_GROUP, RouteReason } from "../model/conditions.js";
import { condFalse, condTrue, listWords, type Cond } from "./conditions.js";
import type { GatewayResolution } from "./gateways.js";
import { routeHostnamesOnListener } from "./hostnames.js";
import type { ParentRefIn, ServiceSpecIn } from "./input.js";
import { arr, namespaceOf, nn, specOf } from "./input.js";
import type { ListenerModel } from "./listeners.js";
import { compareAge, type ObjectIndex } from "./objects.js";
import type { RouteModel } from "./routes.js";
import { describeSelector, selectorMatches } from "./selector.js";
import { likelyMeant } from "./typo.js";

/** Route kinds gwsim routes for a Service parent (GAMMA mesh). */
const MESH_ROUTE_KINDS = new Set(["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute"]);

export interface ListenerAttachment {
  listener: ListenerModel;
  hostnames: string[];
}

/** What one parentRef of one route resolved to. */
export interface ParentOutcome {
  route: RouteModel;
  parentRefIndex: number;
  /** The parentRef as the API server stores it (group and kind defaulted), echoed in status. */
  statusRef: Record<string, unknown>;
  controllerName: string;
  /** Set when the parentRef cannot attach; null while it can. */
  rejection: { reason: string; message: string } | null;
  /** Description of the parent for messages: `Gateway infra/gw`. */
  parentText: string;
  listeners: ListenerAttachment[];
  mesh: { namespace: string; name: string; port: number | null } | null;
}

export interface AttachContext {
  index: ObjectIndex;
  gateways: GatewayResolution;
  /** --controller-name given: parents gwsim cannot tell are its own get no status. */
  restricted: boolean;
  controllerName: string | undefined;
}

/**
 * Resolves every parentRef of every route (GEP-1713 "Summary of Attachments"; shared_types.go
 * ParentReference): the direct parent's listeners, narrowed by sectionName and port, then by
 * allowedRoutes kinds and namespaces, then by hostname intersection. The first narrowing that
 * leaves nothing names the reason.
 */
export function attachRoutes(ctx: AttachContext, routes: readonly RouteModel[]): ParentOutcome[] {
  const outcomes: ParentOutcome[] = [];
  for (const route of routes) {
    arr(route.spec.parentRefs).forEach((ref, i) => {
      const o = resolveParentRef(ctx, route, ref, i);
      if (o) outcomes.push(o);
    });
  }
  for (const o of outcomes) {
    const rules = o.route.resolved.rules;
    if (!o.rejection && rules.length > 0 && o.route.droppedRules.length === rules.length) {
      const first = o.route.droppedRules[0] as { reason: string; message: string };
      o.rejection = { reason: first.reason, message: `no rule can be programmed: ${o.route.droppedRules.map((d) => d.message).join("; ")}` };
    }
    if (o.rejection) o.listeners = [];
  }
  // After the rejections above: a route that attaches nowhere does not hold a hostname.
  enforceHTTPGRPCHostnameExclusivity(outcomes);
  countAttachedRoutes(outcomes);
  return outcomes;
}

function countAttachedRoutes(outcomes: readonly ParentOutcome[]): void {
  const seen = new Map<ListenerModel, Set<RouteModel>>();
  for (const o of outcomes) {
    for (const a of o.listeners) {
      const set = seen.get(a.listener) ?? new Set();
      set.add(o.route);
      seen.set(a.listener, set);
    }
  }
  for (const [l, set] of seen) l.attachedRoutes = set.size;
}

function statusRefOf(ref: ParentRefIn): Record<string, unknown> {
  const out: Record<string, unknown> = { group: ref.group ?? GATEWAY_GROUP, kind: ref.kind ?? "Gateway" };
  if (ref.namespace !== undefined) out.namespace = ref.namespace;
  out.name = ref.name;
  if (ref.sectionName !== undefined) out.sectionName = ref.sectionName;
  if (ref.port !== undefined) out.port = ref.port;
  return out;
}

function resolveParentRef(ctx: AttachContext, route: RouteModel, ref: ParentRefIn, i: number): ParentOutcome | null {
  const group = ref.group ?? GATEWAY_GROUP;
  const kind = ref.kind ?? "Gateway";
  const namespace = ref.namespace ?? route.namespace;
  const key = nn(namespace, ref.name);
  const fallbackController = ctx.controllerName ?? DEFAULT_CONTROLLER_NAME;
  const outcome = (controllerName: string, parentText: string): ParentOutcome => ({
    route,
    parentRefIndex: i,
    statusRef: statusRefOf(ref),
    controllerName,
    rejection: null,
    parentText,
    listeners: [],
    mesh: null,
  });
  const reject = (o: ParentOutcome, reason: string, message: string): ParentOutcome => {
    o.rejection = { reason, message };
    return o;
  };

  if (group === GATEWAY_GROUP && kind === "Gateway") {
    const text = `Gateway ${key}`;
    const gw = ctx.gateways.gatewayByKey.get(key);
    if (!gw) {
      if (ctx.index.get("Gateway", namespace, ref.name) || ctx.restricted) return null; // not ours
      return reject(outcome(fallbackController, text), RouteReason.NoMatchingParent, `${text} not found${elsewhereHint(ctx, "Gateway", ref, route.namespace)}`);
    }
    const o = outcome(gw.cls.controllerName, text);
    attachToListeners(ctx, o, ref, gw.listeners);
    return o;
  }

  if (group === GATEWAY_GROUP && kind === "ListenerSet") {
    const text = `ListenerSet ${key}`;
    const ls = ctx.gateways.listenerSetByKey.get(key);
    if (!ls) {
      if (ctx.index.get("ListenerSet", namespace, ref.name) || ctx.restricted) return null;
      return reject(outcome(fallbackController, text), RouteReason.NoMatchingParent, `${text} not found${elsewhereHint(ctx, "ListenerSet", ref, route.namespace)}`);
    }
    const o = outcome(ls.gateway?.cls.controllerName ?? fallbackController, text);
    if (!ls.attached) {
      const why = ls.conditions[0]?.message ?? "";
      return reject(o, RouteReason.NoMatchingParent, `${text} is not attached to a Gateway: ${why}`);
    }
    attachToListeners(ctx, o, ref, ls.listeners);
    return o;
  }

  if (group === "" && kind === "Service") return attachToService(ctx, outcome(fallbackController, `Service ${key}`), route, ref, namespace);

  if (ctx.restricted) return null; // some other controller may support this parent kind
  return reject(
    outcome(fallbackController, `${group ? `${group}/` : ""}${kind} ${key}`),
    RouteReason.UnsupportedValue,
    `parentRef kind ${group ? `${group}/` : ""}${kind} is not supported; use a Gateway, a ListenerSet or (for mesh) a Service`,
  );
}

function attachToListeners(ctx: AttachContext, o: ParentOutcome, ref: ParentRefIn, candidates: readonly ListenerModel[]): void {
  const route = o.route;
  const all = candidates.map((l) => l.name);
  let pool = candidates.slice();
  if (ref.sectionName !== undefined) {
    pool = pool.filter((l) => l.name === ref.sectionName);
    if (pool.length === 0) {
      o.rejection = {
        reason: RouteReason.NoMatchingParent,
        message: `parentRef sectionName ${JSON.stringify(ref.sectionName)} matches no listener of ${o.parentText} (listeners: ${all.join(", ") || "none"})`,
      };
      return;
    }
  }
  if (ref.port !== undefined) {
    const before = pool;
    pool = pool.filter((l) => l.port === ref.port);
    if (pool.length === 0) {
      o.rejection = {
        reason: RouteReason.NoMatchingParent,
        message:
          ref.sectionName !== undefined
            ? `listener ${ref.sectionName} of ${o.parentText} is on port ${before.map((l) => l.port).join(", ")}, not parentRef port ${ref.port}`
            : `parentRef port ${ref.port} matches no listener of ${o.parentText} (ports: ${[...new Set(candidates.map((l) => l.port))].join(", ") || "none"})`,
      };
      return;
    }
  }
  const byKind = pool.filter((l) => l.supportedKinds.some((k) => k.kind === route.kind));
  if (byKind.length === 0) {
    o.rejection = {
      reason: RouteReason.NotAllowedByListeners,
      message: `no ${pool.length > 1 ? "listener" : `listener (${pool[0]?.name})`} of ${o.parentText} allows ${route.kind}s: ${pool
        .map((l) => `${l.name} takes ${l.supportedKinds.map((k) => k.kind).join(", ") || "nothing"}${l.spec.allowedRoutes?.kinds?.length ? " (allowedRoutes.kinds)" : ""}`)
        .join("; ")}${route.kind === "TCPRoute" && pool.some((l) => l.tlsMode === "Passthrough") ? " (a TLS Passthrough listener takes only TLSRoutes; TCPRoutes attach to TLS listeners in Terminate mode)" : ""}`,
    };
    return;
  }
  const refusals: string[] = [];
  const byNamespace = byKind.filter((l) => {
    const refusal = namespaceRefusal(ctx, l, route.namespace);
    if (refusal) refusals.push(`listener ${l.name}: ${refusal}`);
    return refusal === null;
  });
  if (byNamespace.length === 0) {
    o.rejection = {
      reason: RouteReason.NotAllowedByListeners,
      message: `${o.parentText} does not accept ${route.kind}s from namespace ${route.namespace}: ${refusals.join("; ")}`,
    };
    return;
  }
  const usesHostnames = route.kind === "HTTPRoute" || route.kind === "GRPCRoute" || route.kind === "TLSRoute";
  for (const l of byNamespace) {
    const hostnames = usesHostnames ? routeHostnamesOnListener(l.hostname, route.resolved.hostnames) : [];
    if (hostnames !== null) o.listeners.push({ listener: l, hostnames });
  }
  if (o.listeners.length === 0) {
    o.rejection = {
      reason: RouteReason.NoMatchingListenerHostname,
      message: `route hostnames ${route.resolved.hostnames.join(", ")} match no listener hostname of ${o.parentText} (${byNamespace
        .map((l) => `${l.name}: ${l.hostname ?? "any"}`)
        .join(", ")})`,
    };
  }
}

/** allowedRoutes.namespaces (default Same, relative to the listener's own Gateway or ListenerSet). */
function namespaceRefusal(ctx: AttachContext, l: ListenerModel, routeNamespace: string): string | null {
  const ns = l.spec.allowedRoutes?.namespaces;
  const from = ns?.from ?? "Same";
  switch (from) {
    case "All":
      return null;
    case "Same":
      // Most users meet Same as the default, never having written it: say so.
      return routeNamespace === l.owner.namespace
        ? null
        : `allows routes only from its own namespace ${l.owner.namespace} (allowedRoutes.namespaces.from: Same${
            fromWritten(ctx, l) === false ? ", the default when it is not set; set from: All or Selector to admit other namespaces" : ""
          })`;
    case "Selector":
      if (!ns?.selector) return "allowedRoutes.namespaces.from is Selector but no selector is set, so no namespace is allowed";
      return selectorMatches(ns.selector, ctx.index.namespaceLabels(routeNamespace))
        ? null
        : `namespace ${routeNamespace} does not match its allowedRoutes selector (${describeSelector(ns.selector)})`;
    default:
      return `allowedRoutes.namespaces.from ${JSON.stringify(from)} allows no namespace`;
  }
}

/**
 * Where a missing parent probably is: one of that name in another namespace (a parentRef without
 * namespace means the route's own), else a name a typo away in the namespace looked in.
 */
function elsewhereHint(ctx: AttachContext, kind: "Gateway" | "ListenerSet", ref: ParentRefIn, routeNamespace: string): string {
  const namespace = ref.namespace ?? routeNamespace;
  const all = ctx.index.byKind(kind);
  const others = [...new Set(all.filter((o) => o.metadata.name === ref.name && namespaceOf(o) !== namespace).map((o) => namespaceOf(o)))].sort();
  if (others.length) {
    const where = `${kind} ${ref.name} is in namespace ${others.join(", ")}`;
    return ref.namespace === undefined
      ? ` (a parentRef without namespace means the route's own, ${routeNamespace}; ${where}: set namespace: ${others[0]})`
      : ` (${where})`;
  }
  const meant = likelyMeant(ref.name, all.filter((o) => namespaceOf(o) === namespace).map((o) => o.metadata.name));
  return meant ? ` (did you mean ${meant}?)` : "";
}

/**
 * Whether the listener's allowedRoutes.namespaces.from is written in its manifest (the schema
 * fills in Same when it is not); null when the object carries no source to tell.
 */
function fromWritten(ctx: AttachContext, l: ListenerModel): boolean | null {
  const owner = ctx.index.get(l.owner.kind, l.owner.namespace, l.owner.name);
  const fields = owner ? sourceOf(owner)?.fields : undefined;
  if (!owner || !fields) return null;
  const i = arr(specOf<{ listeners?: { name?: string }[] }>(owner).listeners).findIndex((x) => x.name === l.name);
  return i >= 0 && `spec.listeners[${i}].allowedRoutes.namespaces.from` in fields;
}

function attachToService(ctx: AttachContext, o: ParentOutcome, route: RouteModel, ref: ParentRefIn, namespace: string): ParentOutcome {
  const svc = ctx.index.get("Service", namespace, ref.name);
  if (!svc) {
    o.rejection = { reason: RouteReason.NoMatchingParent, message: `${o.parentText} not found` };
    return o;
  }
  if (!MESH_ROUTE_KINDS.has(route.kind)) {
    o.rejection = { reason: RouteReason.UnsupportedValue, message: `a ${route.kind} cannot attach to a Service; mesh routing takes ${[...MESH_ROUTE_KINDS].join(", ")}` };
    return o;
  }
  const spec = specOf<ServiceSpecIn>(svc);
  if (spec.type === "ExternalName") {
    o.rejection = { reason: RouteReason.UnsupportedValue, message: `${o.parentText} is of type ExternalName; mesh routes attach to ClusterIP Services only` };
    return o;
  }
  const ports = arr(spec.ports);
  let matched = ports.slice();
  if (ref.sectionName !== undefined) matched = matched.filter((p) => p.name === ref.sectionName);
  if (ref.port !== undefined) matched = matched.filter((p) => Number(p.port) === ref.port);
  if ((ref.sectionName !== undefined || ref.port !== undefined) && matched.length === 0) {
    const want = [ref.sectionName !== undefined ? `name ${JSON.stringify(ref.sectionName)}` : "", ref.port !== undefined ? `port ${ref.port}` : ""].filter(Boolean).join(" and ");
    o.rejection = {
      reason: RouteReason.NoMatchingParent,
      message: `${o.parentText} has no port with ${want} (ports: ${ports.map((p) => `${p.port}${p.name ? `/${p.name}` : ""}`).join(", ") || "none"})`,
    };
    return o;
  }
  const port = ref.sectionName !== undefined || ref.port !== undefined ? Number((matched[0] as { port: number }).port) : null;
  o.mesh = { namespace, name: ref.name, port };
  return o;
}

/**
 * GEP-1016 "Cross Serving": on one listener an HTTPRoute and a GRPCRoute may not share a
 * hostname; the route that came later is rejected there. "Later" is decided by the route
 * order of the spec (oldest first, then namespace/name) so the result never depends on timing.
 */
function enforceHTTPGRPCHostnameExclusivity(outcomes: readonly ParentOutcome[]): void {
  const byListener = new Map<ListenerModel, { o: ParentOutcome; a: ListenerAttachment }[]>();
  for (const o of outcomes) {
    if (o.rejection || (o.route.kind !== "HTTPRoute" && o.route.kind !== "GRPCRoute")) continue;
    for (const a of o.listeners) {
      const list = byListener.get(a.listener) ?? [];
      list.push({ o, a });
      byListener.set(a.listener, list);
    }
  }
  const removed = new Map<ParentOutcome, string[]>();
  for (const [listener, entries] of byListener) {
    if (!entries.some((e) => e.o.route.kind === "GRPCRoute") || !entries.some((e) => e.o.route.kind === "HTTPRoute")) continue;
    entries.sort((x, y) => compareAge(x.o.route.resolved, y.o.route.resolved) || x.o.parentRefIndex - y.o.parentRefIndex);
    const kept: typeof entries = [];
    for (const e of entries) {
      const clash = kept.find((k) => k.o.route.kind !== e.o.route.kind && hostnamesOverlap(listener, k.a.hostnames, e.a.hostnames));
      if (!clash) {
        kept.push(e);
        continue;
      }
      e.o.listeners = e.o.listeners.filter((x) => x !== e.a);
      const list = removed.get(e.o) ?? [];
      list.push(
        `listener ${listener.name} already serves ${clash.o.route.kind} ${nn(clash.o.route.namespace, clash.o.route.name)} on an overlapping hostname, ` +
          `and HTTPRoutes and GRPCRoutes may not share a hostname on a listener (GEP-1016); give one of them distinct hostnames`,
      );
      removed.set(e.o, list);
    }
  }
  for (const [o, reasons] of removed) {
    if (o.listeners.length === 0) o.rejection = { reason: RouteReason.NotAllowedByListeners, message: reasons.join("; ") };
  }
}

function hostnamesOverlap(listener: ListenerModel, a: readonly string[], b: readonly string[]): boolean {
  // An empty list stands for every host the listener takes.
  const effA = a.length ? a : [listener.hostname ?? "*"];
  const effB = b.length ? b : [listener.hostname ?? "*"];
  if (effA.includes("*") || effB.includes("*")) return true;
  return effA.some((x) => effB.some((y) => routeHostnamesOnListener(x, [y]) !== null));
}

/** A route's conditions towards one parent: Accepted, ResolvedRefs, then PartiallyInvalid when it holds. */
export function routeParentConditions(o: ParentOutcome): Cond[] {
  const route = o.route;
  const conds: Cond[] = [];
  if (o.rejection) conds.push(condFalse(ConditionType.Accepted, o.rejection.reason, o.rejection.message));
  else if (o.mesh) {
    conds.push(
      condTrue(ConditionType.Accepted, RouteReason.Accepted, `attached to ${o.parentText}${o.mesh.port !== null ? ` port ${o.mesh.port}` : ""} for mesh traffic`),
    );
  } else {
    const names = o.listeners.map((a) => a.listener.name);
    conds.push(condTrue(ConditionType.Accepted, RouteReason.Accepted, `attached to listener(s) ${listWords(names)} of ${o.parentText}`));
  }
  const refs = route.refProblems;
  if (refs.length) {
    conds.push(condFalse(ConditionType.ResolvedRefs, (refs[0] as { reason: string }).reason, refs.map((p) => p.message).join("; ")));
  } else {
    conds.push(condTrue(ConditionType.ResolvedRefs, RouteReason.ResolvedRefs, "all references resolved"));
  }
  const dropped = route.droppedRules;
  if (!o.rejection && dropped.length > 0 && dropped.length < route.resolved.rules.length) {
    // The "Drop Rule(s)" approach: the message must start with "Dropped Rule".
    conds.push(
      condTrue(
        ConditionType.PartiallyInvalid,
        RouteReason.UnsupportedValue,
        `Dropped Rule(s) ${dropped.map((d) => d.index).join(", ")}: ${dropped.map((d) => d.message).join("; ")}`,
      ),
    );
  }
  return conds;
}
