/**
 * Routes and parentRefs that attach to nothing, and route hostnames no listener takes. Read from
 * what resolve decided (graph attachments and the routes' status), never re-derived, so lint and
 * `gwsim status` always agree.
 */
import { intersectHostname } from "../compile/index.js";
import { RouteReason } from "../model/conditions.js";
import type { Condition, ResolvedListener, ResolvedRoute, StatusItem } from "../resolve/graph.js";
import { likelyMeant } from "../resolve/typo.js";
import { namespaceOfObject, type LintContext } from "./context.js";
import type { Finding } from "./finding.js";
import { refOf } from "./shadowing.js";

const GATEWAY_GROUP = "gateway.networking.k8s.io";

interface ParentRefLike {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  sectionName?: string;
  port?: number;
}

interface StatusParent {
  parentRef: ParentRefLike;
  conditions?: Condition[];
}

export function attachmentFindings(ctx: LintContext): Finding[] {
  const { graph } = ctx.world;
  const findings: Finding[] = [];
  const statusByKey = new Map<string, StatusItem>();
  for (const item of graph.status) statusByKey.set(`${item.kind}/${item.metadata.namespace ?? ""}/${item.metadata.name}`, item);
  const listenerById = new Map(graph.listeners.map((l) => [l.id, l]));

  graph.routes.forEach((route, gi) => {
    const ref = refOf(route);
    const obj = ctx.get(route.kind, route.namespace, route.name);
    const status = statusByKey.get(`${route.kind}/${route.namespace}/${route.name}`);
    const parents = ((status?.status as { parents?: StatusParent[] } | undefined)?.parents ?? []).map((p) => ({ ...p, ref: normalizeRef(p.parentRef, route.namespace) }));
    const attachedRefs = new Set<number>();
    const listeners: ResolvedListener[] = [];
    for (const a of graph.attachments) {
      if (a.route !== gi) continue;
      attachedRefs.add(a.parentRefIndex);
      const l = listenerById.get(a.listener);
      if (l) listeners.push(l);
    }
    for (const a of graph.meshAttachments) if (a.route === gi) attachedRefs.add(a.parentRefIndex);
    const attached = attachedRefs.size > 0;

    const specRefs = obj ? arrayOf<ParentRefLike>((obj.spec as { parentRefs?: unknown } | undefined)?.parentRefs) : null;
    if (specRefs !== null && specRefs.length === 0) {
      const delegator = delegatingRoute(ctx, route);
      findings.push(
        ctx.finding(
          delegator
            ? {
                rule: "route-not-attached",
                severity: "warning",
                object: ref,
                path: "spec",
                fallback: route.source,
                message: `${routeText(route)} has no parentRefs; ${delegator} names it in a backendRef (route delegation, implementation-specific), which gwsim does not simulate: the delegating rule answers 500 in gwsim`,
                fix: "nothing, if the implementation delegates routes (kgateway does); otherwise add a parentRef naming the Gateway the route is meant for",
              }
            : {
                rule: "route-not-attached",
                severity: "error",
                object: ref,
                path: "spec",
                fallback: route.source,
                message: `${routeText(route)} has no parentRefs, so it attaches to nothing and serves no traffic`,
                fix: "add a parentRef naming the Gateway (or ListenerSet, or Service for mesh routing) the route is meant for",
              },
        ),
      );
      return;
    }

    // One entry per parentRef that did not attach: [index or null when unknown, status parent].
    const failed: { index: number | null; parent: (typeof parents)[number]; accepted: Condition | undefined }[] = [];
    if (specRefs) {
      specRefs.forEach((r, i) => {
        if (attachedRefs.has(i)) return;
        const want = normalizeRef(r, route.namespace);
        const parent = parents.find((p) => sameRef(p.ref, want));
        if (!parent) return; // a parent gwsim does not act for (another controller's Gateway)
        failed.push({ index: i, parent, accepted: parent.conditions?.find((c) => c.type === "Accepted") });
      });
    } else {
      for (const parent of parents) {
        const accepted = parent.conditions?.find((c) => c.type === "Accepted");
        if (accepted?.status === "False") failed.push({ index: null, parent, accepted });
      }
    }

    for (const f of failed) {
      const reason = f.accepted?.reason ?? "Unknown";
      const why = f.accepted?.message ?? "not accepted";
      const parentText = `${f.parent.ref.kind} ${f.parent.ref.namespace}/${f.parent.ref.name}${f.parent.ref.sectionName ? `/${f.parent.ref.sectionName}` : ""}${f.parent.ref.port !== undefined ? `:${f.parent.ref.port}` : ""}`;
      const path = f.index === null ? "spec.parentRefs" : `spec.parentRefs[${f.index}]`;
      const near = reason === RouteReason.NoMatchingParent && !parentDeclared(ctx, statusByKey, f.parent.ref) ? nearParentFix(ctx, f.parent.ref, specRefs !== null && f.index !== null && specRefs[f.index]?.namespace === undefined) : null;
      const missing = reason === RouteReason.NoMatchingParent && !near && !parentDeclared(ctx, statusByKey, f.parent.ref);
      const foreignParent = reason === RouteReason.UnsupportedValue && implementationParent(f.parent.ref);
      if (reason === RouteReason.NoMatchingListenerHostname) {
        findings.push(
          ctx.finding({
            rule: "hostname-matches-no-listener",
            severity: attached ? "warning" : "error",
            object: ref,
            path: "spec.hostnames",
            fallback: route.source,
            message: `no hostname of ${routeText(route)} (${route.hostnames.join(", ") || "none"}) intersects a listener of ${parentText}${attached ? "" : ", so the route attaches to nothing"}: ${why}`,
            fix: `add a hostname the listeners of ${parentText} accept, or fix the listener hostname (or point the parentRef's sectionName at a listener that takes these hostnames)`,
            related: [ctx.related(refOf(route), path, `the parentRef to ${parentText}`, route.source)],
          }),
        );
        continue;
      }
      findings.push(
        ctx.finding({
          rule: attached ? "parent-ref-not-attached" : "route-not-attached",
          severity: attached || missing || foreignParent ? "warning" : "error",
          object: ref,
          path,
          fallback: route.source,
          message:
            `${attached ? `parentRef to ${parentText} of ${routeText(route)} attaches to nothing` : `${routeText(route)} attaches to nothing: its parentRef to ${parentText} is not accepted`} (${reason}: ${why})` +
            (missing ? `; ${parentText} is not in the manifests linted` : "") +
            (foreignParent ? `; a ${f.parent.ref.group}/${f.parent.ref.kind} parent is the implementation's own (e.g. route delegation, a mesh or multicluster parent), which gwsim does not simulate` : ""),
          fix: foreignParent
            ? `if the implementation supports ${f.parent.ref.kind} parents, this route's traffic is not simulated (gwsim routes through Gateways, ListenerSets and Services only); otherwise fix the parentRef's group and kind`
            : why.startsWith("parentRef kind ")
              ? `point the parentRef at a Gateway (group ${GATEWAY_GROUP}, kind Gateway, the default), a ListenerSet (same group) or, for mesh routing, a Service (group "")`
              : (near ?? listenerSetFix(statusByKey, f.parent.ref) ?? kindSharingFix(route, why) ?? passthroughFix(route, why) ?? fixFor(reason, parentText, missing)),
        }),
      );
    }

    if (!attached || listeners.length === 0) return;
    route.hostnames.forEach((h, k) => {
      if (listeners.some((l) => intersectHostname(h, l.hostname ? l.hostname.toLowerCase() : null) !== null)) return;
      const names = [...new Set(listeners.map((l) => `${l.gateway.namespace}/${l.gateway.name}/${l.name} (${l.hostname ?? "any hostname"})`))];
      findings.push(
        ctx.finding({
          rule: "hostname-matches-no-listener",
          severity: "warning",
          object: ref,
          path: `spec.hostnames[${k}]`,
          fallback: route.source,
          message: `hostname ${h} of ${routeText(route)} intersects none of the listeners it attaches to (${names.join(", ")}); requests for ${h} never reach it`,
          fix: `remove ${h}, or attach the route (parentRefs) to a listener whose hostname covers it`,
        }),
      );
    });
  });
  return findings;
}

/**
 * A ListenerSet parent that is itself not accepted by its Gateway (allowedListeners, a missing
 * Gateway): the parentRef is right and the fix is on the ListenerSet or the Gateway.
 */
function listenerSetFix(statusByKey: Map<string, StatusItem>, ref: { kind: string; namespace: string; name: string }): string | null {
  if (ref.kind !== "ListenerSet") return null;
  const conditions = (statusByKey.get(`ListenerSet/${ref.namespace}/${ref.name}`)?.status as { conditions?: Condition[] } | undefined)?.conditions ?? [];
  const accepted = conditions.find((c) => c.type === "Accepted");
  if (accepted?.status !== "False") return null;
  return `the parentRef is fine but ListenerSet ${ref.namespace}/${ref.name} is not accepted${accepted.reason === "ListenersNotValid" ? "" : " by its Gateway"} (${accepted.reason}: ${accepted.message}): ${listenerSetRemedy(accepted.reason, accepted.message)}`;
}

/** What to change for each reason resolve rejects a ListenerSet with (allowedListeners only helps NotAllowed). */
function listenerSetRemedy(reason: string, message: string): string {
  if (reason === "NotAllowed") return "let the Gateway's spec.allowedListeners admit its namespace, or fix the ListenerSet's parentRef";
  if (reason === "ParentNotAccepted") {
    return /^parent Gateway \S+ not found$/.test(message)
      ? "add the Gateway to the manifests (or lint it together with them), or fix the ListenerSet's spec.parentRef"
      : "fix the Gateway (see its conditions in `gwsim status`), or point the ListenerSet's spec.parentRef at an accepted Gateway";
  }
  if (reason === "ListenersNotValid") return "fix the ListenerSet's listeners (see their conditions in `gwsim status`)";
  return "fix the ListenerSet's spec.parentRef";
}

/**
 * resolve refuses an HTTPRoute and a GRPCRoute on one hostname of a listener (GEP-1016) with
 * NotAllowedByListeners, whose usual fix (allowedRoutes) would not help: the hostnames must differ.
 */
function kindSharingFix(route: ResolvedRoute, why: string): string | null {
  if (!why.includes("GEP-1016")) return null;
  const other = route.kind === "GRPCRoute" ? "HTTPRoute" : "GRPCRoute";
  return `give this ${route.kind} and the ${other} named above distinct hostnames (GEP-1016: they may not share one on a listener), or attach them to different listeners${route.kind === "GRPCRoute" ? "; an HTTPRoute can also serve the gRPC calls" : ""}`;
}

/** A TCPRoute refused by a TLS Passthrough listener: allowedRoutes cannot admit it there. */
function passthroughFix(route: ResolvedRoute, why: string): string | null {
  if (route.kind !== "TCPRoute" || !why.includes("Passthrough listener takes only TLSRoutes")) return null;
  return "route the TLS connections with a TLSRoute (Passthrough), or attach this TCPRoute to a TLS listener in Terminate mode or to a TCP listener";
}

/**
 * A parent kind no Gateway API parent is spelled like: another API group (a multicluster
 * ServiceImport, an implementation's Mesh), or a route kind (kgateway's route delegation).
 * Implementation-specific, so a warning; any other kind of a Gateway API group or the core group
 * (a typo such as Gatway, an old XListenerSet) stays an error.
 */
function implementationParent(ref: { group: string; kind: string }): boolean {
  if (ref.group !== GATEWAY_GROUP && ref.group !== "" && ref.group !== "gateway.networking.x-k8s.io") return true;
  return ref.group === GATEWAY_GROUP && ROUTE_KINDS.has(ref.kind);
}

const ROUTE_KINDS = new Set(["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"]);

/**
 * A route that names this one in a backendRef (kind HTTPRoute or GRPCRoute of the Gateway API
 * group; name "*" for every route of the namespace): kgateway's route delegation, where a child
 * route needs no parentRefs. `kind namespace/name` of the first such route, or null.
 */
function delegatingRoute(ctx: LintContext, route: ResolvedRoute): string | null {
  for (const o of ctx.objects ?? []) {
    if (!ROUTE_KINDS.has(o.kind)) continue;
    const rules = arrayOf<{ backendRefs?: unknown }>((o.spec as { rules?: unknown } | undefined)?.rules);
    const from = o.metadata.namespace ?? "default";
    for (const rule of rules) {
      for (const b of arrayOf<{ group?: string; kind?: string; name?: string; namespace?: string }>(rule.backendRefs)) {
        if (b.group !== GATEWAY_GROUP || b.kind !== route.kind) continue;
        if ((b.namespace ?? from) !== route.namespace || (b.name !== "*" && b.name !== route.name)) continue;
        return `${o.kind} ${from}/${o.metadata.name}`;
      }
    }
  }
  return null;
}

function fixFor(reason: string, parentText: string, missing: boolean): string {
  if (missing) return `lint the manifests of ${parentText} together with the route, or fix the parentRef's name and namespace`;
  switch (reason) {
    case RouteReason.NotAllowedByListeners:
      return `allow the route on ${parentText}: its listeners' allowedRoutes (namespaces from/selector, kinds) must admit this route's namespace and kind`;
    case RouteReason.NoMatchingParent:
      return `fix the parentRef (name, namespace, sectionName, port) so it names an existing parent and listener`;
    case RouteReason.UnsupportedValue:
      return "fix the values the route's status names (an unsupported rule, match or filter value drops it)";
    default:
      return `see the route's status for ${parentText} (gwsim status) and fix what the Accepted condition names`;
  }
}

/**
 * A parent missing where the parentRef looks, with one of its name in another namespace or one a
 * typo away in that namespace: the parentRef is wrong, not the manifests incomplete.
 */
function nearParentFix(ctx: LintContext, ref: Required<Pick<ParentRefLike, "kind" | "namespace" | "name">>, namespaceOmitted: boolean): string | null {
  if (ref.kind !== "Gateway" && ref.kind !== "ListenerSet") return null;
  const all = ctx.byKind(ref.kind);
  const elsewhere = [...new Set(all.filter((o) => o.metadata.name === ref.name && namespaceOfObject(o) !== ref.namespace).map((o) => namespaceOfObject(o)))].sort();
  if (elsewhere.length) {
    return `set the parentRef's namespace: ${elsewhere[0]}${namespaceOmitted ? ` (without one it means the route's own namespace, ${ref.namespace})` : ""}`;
  }
  const meant = likelyMeant(ref.name, all.filter((o) => namespaceOfObject(o) === ref.namespace).map((o) => o.metadata.name));
  return meant ? `set the parentRef's name: ${meant}` : null;
}

/** Whether the parent object is among the objects given (a Gateway/ListenerSet in status, a Service in the graph). */
function parentDeclared(ctx: LintContext, statusByKey: Map<string, StatusItem>, ref: Required<Pick<ParentRefLike, "kind" | "namespace" | "name">>): boolean {
  if (ctx.get(ref.kind, ref.namespace, ref.name)) return true;
  if (ref.kind === "Service") return ctx.world.graph.services.some((s) => s.namespace === ref.namespace && s.name === ref.name);
  return statusByKey.has(`${ref.kind}/${ref.namespace}/${ref.name}`);
}

function normalizeRef(r: ParentRefLike, routeNamespace: string) {
  return {
    group: r.group ?? GATEWAY_GROUP,
    kind: r.kind ?? "Gateway",
    namespace: r.namespace ?? routeNamespace,
    name: r.name ?? "",
    ...(r.sectionName !== undefined ? { sectionName: r.sectionName } : {}),
    ...(r.port !== undefined ? { port: r.port } : {}),
  };
}

function sameRef(a: ReturnType<typeof normalizeRef>, b: ReturnType<typeof normalizeRef>): boolean {
  return a.group === b.group && a.kind === b.kind && a.namespace === b.namespace && a.name === b.name && a.sectionName === b.sectionName && a.port === b.port;
}

function arrayOf<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

function routeText(route: ResolvedRoute): string {
  return `${route.kind} ${route.namespace}/${route.name}`;
}
