/**
 * hostname-kind-clash: an HTTPRoute and a GRPCRoute on one hostname of one listener. The spec
 * (GRPCRoute spec.hostnames, GEP-1016) accepts exactly one of them there: the older, then the
 * first by namespace/name. When the loser still attaches through another listener, its status
 * says Accepted=True and nothing shows the listener it lost, so lint names it.
 *
 * Not re-derived: the listeners each route lost are what resolve itself gives when the other
 * kind is left out (the clash is the only thing that kind changes about attachment), compared
 * with the real graph. Needs the objects, like the ReferenceGrant rules.
 */
import { intersectHostname } from "../compile/hostname.js";
import type { ManifestObject } from "../manifest/object.js";
import { admitObjects } from "../manifest/parse.js";
import { resolve } from "../resolve/index.js";
import type { Attachment, Graph, ResolvedListener, ResolvedRoute } from "../resolve/graph.js";
import { compareAge } from "../resolve/objects.js";
import { validateObjects } from "../schema/validate.js";
import type { LintContext } from "./context.js";
import type { Finding } from "./finding.js";
import { refOf } from "./shadowing.js";

const OTHER = { HTTPRoute: "GRPCRoute", GRPCRoute: "HTTPRoute" } as const;
type ClashKind = keyof typeof OTHER;

/** One listener a route's parentRef would attach to but for a route of the other kind. */
export interface LostListener {
  route: ResolvedRoute;
  parentRefIndex: number;
  listener: ResolvedListener;
  /** The route's hostnames on that listener, as resolve intersected them ([] = every host it takes). */
  hostnames: string[];
}

export function kindClashFindings(ctx: LintContext): Finding[] {
  const { graph } = ctx.world;
  if (!ctx.objects || !graph.routes.some((r) => r.kind === "HTTPRoute") || !graph.routes.some((r) => r.kind === "GRPCRoute")) return [];
  const findings: Finding[] = [];
  for (const lost of lostListeners(graph, ctx.objects, ctx.world.options)) {
    const { route, listener } = lost;
    // A parentRef left with no listener is Accepted=False and reported by route-not-attached or
    // parent-ref-not-attached (with the GEP-1016 message); here it still attaches elsewhere.
    const kept = graph.attachments.filter((a) => routeOf(graph, a) === route && a.parentRefIndex === lost.parentRefIndex);
    if (kept.length === 0) continue;
    const winner = winnerOf(graph, lost);
    if (!winner) continue;
    const other = winner.route;
    const shared = sharedHostnames(listener, lost.hostnames, winner.hostnames);
    const listenerText = `listener ${listener.name} of ${ownerText(listener)}`;
    const keptText = [...new Set(kept.map((a) => graph.listeners.find((l) => l.id === a.listener)?.name ?? a.listener))];
    const own = lost.hostnames.length ? lost.hostnames : [listener.hostname ?? "*"];
    const alsoLost = own.filter((h) => !shared.includes(h));
    findings.push(
      ctx.finding({
        rule: "hostname-kind-clash",
        severity: "warning",
        object: refOf(route),
        path: `spec.parentRefs[${lost.parentRefIndex}]`,
        fallback: route.source,
        message:
          `${routeText(route)} is not attached to ${listenerText}: ${routeText(other)} is attached there for ${hostList(shared)}, and a listener accepts ` +
          `an HTTPRoute or a GRPCRoute for a hostname, never both (GRPCRoute spec.hostnames, GEP-1016); it loses there because ${whyOlder(other, route)}. ` +
          `Requests for ${hostList(own)} on ${listener.name}${alsoLost.length ? ` (not only the shared ${shared.length > 1 ? "hostnames" : "hostname"})` : ""} never reach ${route.namespace}/${route.name}; ` +
          `its status says Accepted because the same parentRef attaches to listener ${keptText.join(", ")}`,
        fix:
          `give ${routeText(route)} and ${routeText(other)} distinct hostnames, or set this parentRef's sectionName to a listener ${routeText(other)} is not attached to` +
          (route.kind === "GRPCRoute" ? "; an HTTPRoute can also route the gRPC calls (POST /<service>/<method>)" : ""),
        related: [
          ctx.related(refOf(other), other.hostnames.length ? "spec.hostnames" : "spec", `the ${other.kind} that holds ${hostList(shared)} on ${listenerText}`, other.source),
          ctx.related(
            listener.listenerSet ? { kind: "ListenerSet", ...listener.listenerSet } : { kind: "Gateway", ...listener.gateway },
            listenerPath(ctx, listener),
            `${listenerText} (hostname ${listener.hostname ?? "any"})`,
            listener.source,
          ),
        ],
      }),
    );
  }
  return findings;
}

/**
 * Every (route, parentRef, listener) of an HTTPRoute or GRPCRoute that resolve would attach
 * without the routes of the other kind, but that the real graph does not have.
 */
export function lostListeners(graph: Graph, objects: readonly ManifestObject[], options: Parameters<typeof resolve>[1]): LostListener[] {
  const real = new Set(graph.attachments.map((a) => attachmentKey(graph, a)));
  const out: LostListener[] = [];
  for (const kind of Object.keys(OTHER) as ClashKind[]) {
    const without = resolve(validateObjects(admitObjects(objects.filter((o) => o.kind !== OTHER[kind])).objects).resources, options);
    for (const a of without.attachments) {
      const route = routeOf(without, a);
      if (route.kind !== kind || real.has(attachmentKey(without, a))) continue;
      const same = graph.routes.find((r) => r.kind === route.kind && r.namespace === route.namespace && r.name === route.name);
      const listener = graph.listeners.find((l) => l.id === a.listener);
      if (same && listener) out.push({ route: same, parentRefIndex: a.parentRefIndex, listener, hostnames: a.hostnames });
    }
  }
  return out;
}

/** The route of the other kind resolve kept on the listener first (oldest) with a hostname in common. */
function winnerOf(graph: Graph, lost: LostListener): { route: ResolvedRoute; hostnames: string[] } | null {
  const candidates = graph.attachments
    .filter((a) => a.listener === lost.listener.id && routeOf(graph, a).kind === OTHER[lost.route.kind as ClashKind])
    .filter((a) => sharedHostnames(lost.listener, lost.hostnames, a.hostnames).length > 0)
    .sort((x, y) => compareAge(routeOf(graph, x), routeOf(graph, y)) || x.parentRefIndex - y.parentRefIndex);
  const first = candidates[0];
  return first ? { route: routeOf(graph, first), hostnames: first.hostnames } : null;
}

/** The hostnames two routes share on a listener (an empty list stands for every host it takes). */
export function sharedHostnames(listener: ResolvedListener, a: readonly string[], b: readonly string[]): string[] {
  const all = listener.hostname ?? "*";
  const effA = a.length ? a : [all];
  const effB = b.length ? b : [all];
  const out = new Set<string>();
  for (const x of effA) for (const y of effB) {
    const i = x === "*" ? y : intersectHostname(x, y === "*" ? null : y);
    if (i !== null) out.add(i);
  }
  return [...out];
}

function whyOlder(winner: ResolvedRoute, loser: ResolvedRoute): string {
  const wt = winner.creationTimestamp;
  const lt = loser.creationTimestamp;
  const first = `${winner.namespace}/${winner.name}`;
  if (wt && !lt) return `${routeText(winner)} has a creationTimestamp (${wt}) and ${loser.namespace}/${loser.name} has none, which counts as newer`;
  if (wt && lt && Date.parse(wt) !== Date.parse(lt)) return `${routeText(winner)} is older (${wt} against ${lt})`;
  return `${wt ? "both have the same creationTimestamp" : "neither has a creationTimestamp"} and ${first} sorts first by namespace/name`;
}

function routeOf(graph: Graph, a: Attachment): ResolvedRoute {
  return graph.routes[a.route]!;
}

function attachmentKey(graph: Graph, a: Attachment): string {
  const r = routeOf(graph, a);
  return `${r.kind}/${r.namespace}/${r.name}|${a.parentRefIndex}|${a.listener}`;
}

function ownerText(l: ResolvedListener): string {
  return l.listenerSet ? `ListenerSet ${l.listenerSet.namespace}/${l.listenerSet.name}` : `Gateway ${l.gateway.namespace}/${l.gateway.name}`;
}

function listenerPath(ctx: LintContext, l: ResolvedListener): string {
  const owner = l.listenerSet ? ctx.get("ListenerSet", l.listenerSet.namespace, l.listenerSet.name) : ctx.get("Gateway", l.gateway.namespace, l.gateway.name);
  const listeners = (owner?.spec as { listeners?: { name?: unknown }[] } | undefined)?.listeners;
  const k = Array.isArray(listeners) ? listeners.findIndex((x) => x?.name === l.name) : -1;
  return k >= 0 ? `spec.listeners[${k}]` : "spec.listeners";
}

function hostList(hosts: readonly string[]): string {
  return hosts.map((h) => (h === "*" ? "every host" : h)).join(", ");
}

function routeText(route: ResolvedRoute): string {
  return `${route.kind} ${route.namespace}/${route.name}`;
}
