/**
 * What `gwsim explain` adds under decide's own explanation: causes that lie outside the one
 * decision, found by asking decide again or reading the status (a redirect that loops or leads to
 * a 404, a route the more specific listener keeps from the request, a ListenerSet that is not
 * accepted, a route for the host that is not attached, a tie a route without hostnames won).
 * Each note is a sentence naming the cause.
 */
import { cleartextListenerOf, decide, followRedirect, hostMatches, redirectLoopFrom, type Decision, type GatewayRequest, type World } from "@gwsim/core";

export function explainNotes(world: World, request: GatewayRequest, d: Decision): string[] {
  return [
    ...redirectLoopNotes(world, request, d),
    ...isolationNotes(world, request, d),
    ...unattachedListenerSetNotes(world, request, d),
    ...passedOverRouteNotes(world, request, d),
    ...inheritedHostnameNotes(world, d),
  ];
}

/**
 * A redirect the client would be sent round in: each Location followed on the same Gateway, as
 * lint's redirect-loop does, and the loop named, with the sectionName that ends the usual one
 * (an http → https redirect that answers on the HTTPS listener too).
 */
export function redirectLoopNotes(world: World, request: GatewayRequest, d: Decision): string[] {
  if (d.outcome !== "redirect" || !d.route || !d.listener || !request.gateway) return [];
  const urls = redirectLoopFrom(world, request);
  if (!urls) return redirectTargetNotes(world, request, d);
  const route = `${d.route.kind} ${d.route.namespace}/${d.route.name}`;
  const notes = [
    urls.length === 2
      ? `redirect loop: the Location is the same URL as the request, so the client is sent back to it by the same redirect (${route} rule ${d.route.rule}) until it gives up`
      : `redirect loop: following the Locations ${urls.join(" → ")} comes back to this URL; the client is redirected until it gives up`,
  ];
  const cleartext = request.scheme === "https" ? cleartextListenerOf(world.table, d.listener.gateway, `${d.route.kind.toLowerCase()}/${d.route.namespace}/${d.route.name}`) : null;
  if (cleartext) notes.push(`${route} is attached to the HTTPS listener ${d.listener.name} as well as to ${cleartext.name}; keep it to the cleartext one: parentRef sectionName: ${cleartext.name}`);
  return notes;
}

/**
 * A 404 on a listener while a less specific listener of the same port has a route for the host:
 * the most specific listener takes the host (listener isolation), so that route never sees it.
 */
export function isolationNotes(world: World, request: GatewayRequest, d: Decision): string[] {
  if (d.outcome !== "notFound" || !d.listener) return [];
  const listeners = world.table.listeners;
  const here = listeners.find((l) => l.gateway === d.listener!.gateway && l.name === d.listener!.name && l.port === d.listener!.port);
  const host = hostOf(request);
  if (!here || !host) return [];
  const notes: string[] = [];
  for (const other of listeners) {
    if (other === here || other.gateway !== here.gateway || other.port !== here.port || other.protocol !== here.protocol || !other.ready) continue;
    if (!hostMatches(other.hostname ?? "*", host)) continue;
    const routes = [...new Set(other.groups.filter((g) => hostMatches(g.hostname, host)).flatMap((g) => g.routes))].map((ri) => world.table.routes[ri]!);
    for (const r of routes) {
      notes.push(
        `${r.kind} ${r.namespace}/${r.name} serves host ${host} on listener ${other.name} (hostname ${other.hostname ?? "any"}) of this port, but the more specific listener ${here.name} ` +
          `(hostname ${here.hostname ?? "any"}) takes the host, and a route only sees requests of the listeners it is attached to: attach it to ${here.name} too (parentRef sectionName: ${here.name}, or none)`,
      );
    }
  }
  return notes;
}

/**
 * No listener took the request while a ListenerSet that is not accepted has one for its port and
 * host: its listeners are not part of the Gateway, so its routes cannot be reached.
 */
export function unattachedListenerSetNotes(world: World, request: GatewayRequest, d: Decision): string[] {
  if ((d.outcome !== "notFound" && d.outcome !== "reject") || !request.gateway) return [];
  const host = hostOf(request);
  const port = request.port ?? (request.scheme === "https" || request.scheme === "tls" ? 443 : 80);
  const notes: string[] = [];
  for (const item of world.graph.status) {
    if (item.kind !== "ListenerSet") continue;
    const accepted = (item.status.conditions as { type: string; status: string; reason: string; message: string }[] | undefined)?.find((c) => c.type === "Accepted");
    if (!accepted || accepted.status === "True") continue;
    const obj = world.objects.find((o) => o.kind === "ListenerSet" && o.metadata.name === item.metadata.name && (o.metadata.namespace ?? "default") === item.metadata.namespace);
    const spec = (obj as { spec?: { parentRef?: { name?: string; namespace?: string }; listeners?: { name: string; port: number; hostname?: string }[] } } | undefined)?.spec;
    const parent = `${spec?.parentRef?.namespace ?? item.metadata.namespace}/${spec?.parentRef?.name}`;
    if (parent !== request.gateway) continue;
    for (const l of spec?.listeners ?? []) {
      if (l.port !== port || (host && !hostMatches(l.hostname ?? "*", host))) continue;
      notes.push(
        `ListenerSet ${item.metadata.namespace}/${item.metadata.name} has listener ${l.name} (port ${l.port}, hostname ${l.hostname ?? "any"}) for this request, but it is not accepted: Accepted=False (${accepted.reason}): ${accepted.message}`,
      );
    }
  }
  return notes;
}

/** The host a request names, without a port; null when it names none. */
function hostOf(request: GatewayRequest): string | null {
  const host = request.scheme === "tls" ? (request.sni ?? request.host) : request.host;
  if (!host) return null;
  return host.startsWith("[") ? host : host.replace(/:\d+$/, "").toLowerCase();
}

interface ParentStatus {
  parentRef: { kind?: string; namespace?: string; name: string; sectionName?: string };
  conditions: { type: string; status: string; reason: string; message: string }[];
}

/**
 * A route that names the request's host on this Gateway (or one of its ListenerSets) but is not
 * attached there: the user most likely expected that one. Also a route whose parentRef names a
 * Gateway of this name that is not where it looks (a parentRef without namespace). Routes decide
 * already names (on a 404 with a listener) are left to it. GRPCRoutes count for gRPC calls,
 * HTTPRoutes for every HTTP request.
 */
export function passedOverRouteNotes(world: World, request: GatewayRequest, d: Decision): string[] {
  if (d.outcome === "reject" || !request.gateway || (request.scheme !== undefined && request.scheme !== "http" && request.scheme !== "https")) return [];
  const [gwNamespace, gwName] = request.gateway.split("/") as [string, string];
  const host = hostOf(request);
  if (!host) return [];
  const kinds = request.grpc ? ["GRPCRoute", "HTTPRoute"] : ["HTTPRoute"];
  const notes: string[] = [];
  for (const item of world.graph.status) {
    if (!kinds.includes(item.kind)) continue;
    const ns = item.metadata.namespace ?? "default";
    if (d.route && d.route.kind === item.kind && d.route.namespace === ns && d.route.name === item.metadata.name) continue;
    const obj = world.objects.find((o) => o.kind === item.kind && o.metadata.name === item.metadata.name && (o.metadata.namespace ?? "default") === ns);
    const hostnames = ((obj as { spec?: { hostnames?: string[] } } | undefined)?.spec?.hostnames ?? []).map((h) => h.toLowerCase());
    if (hostnames.length && !hostnames.some((h) => hostMatches(h, host))) continue;
    const label = `${item.kind} ${ns}/${item.metadata.name}`;
    // decide names rejected routes on a 404 itself: no second line for them.
    if (d.explain?.some((line) => line.startsWith(`${label} (parentRef`) && line.includes("is not attached"))) continue;
    for (const parent of (item.status.parents as ParentStatus[] | undefined) ?? []) {
      const ref = parent.parentRef;
      const kind = ref.kind ?? "Gateway";
      if (kind !== "Gateway" && kind !== "ListenerSet") continue;
      const accepted = parent.conditions.find((c) => c.type === "Accepted");
      if (!accepted || accepted.status === "True") continue;
      const target = `${ref.namespace ?? ns}/${ref.name}`;
      const gateway = kind === "Gateway" ? target : listenerSetGateway(world, target);
      // A parentRef to a Gateway of this name that does not exist where it looks (its namespace
      // left out, most often): decide's 404 cannot know the route meant this Gateway.
      const meantHere = kind === "Gateway" && target !== request.gateway && ref.name === gwName && accepted.reason === "NoMatchingParent";
      if (!meantHere && gateway !== request.gateway) continue;
      notes.push(
        `${label} (parentRef ${kind} ${target}${ref.sectionName ? ` sectionName ${ref.sectionName}` : ""}) ` +
          `${hostnames.length ? `names host ${host}` : "takes any host"} but is not attached${meantHere ? ` to ${gwNamespace}/${gwName} or anywhere` : ""}, so it was not considered: ` +
          `Accepted=False (${accepted.reason}): ${accepted.message}`,
      );
    }
  }
  return notes;
}

/** The "namespace/name" of the Gateway a ListenerSet names as parent, if it is in the manifests. */
function listenerSetGateway(world: World, key: string): string | null {
  const [ns, name] = key.split("/");
  const obj = world.objects.find((o) => o.kind === "ListenerSet" && o.metadata.name === name && (o.metadata.namespace ?? "default") === ns);
  const parent = (obj as { spec?: { parentRef?: { name?: string; namespace?: string } } } | undefined)?.spec?.parentRef;
  return parent?.name ? `${parent.namespace ?? ns}/${parent.name}` : null;
}

/**
 * A redirect to the same host that this Gateway then refuses or answers 404 (an http → https
 * redirect whose site route is attached to the HTTP listener only, or no HTTPS listener at all).
 * A redirect to another host is left alone: it is usually served elsewhere.
 */
function redirectTargetNotes(world: World, request: GatewayRequest, d: Decision): string[] {
  const next = d.redirect ? followRedirect({ ...request, scheme: request.scheme ?? "http" }, d.redirect.location) : null;
  if (!next || hostOf(next) !== hostOf(request)) return [];
  const after = decide(world, next, { explain: true });
  if (after.outcome !== "notFound" && after.outcome !== "reject") return [];
  const why = after.explain?.find((line) => !line.startsWith("listener ") || line.includes("no ")) ?? after.explain?.[0] ?? "";
  return [
    `following the redirect: ${d.redirect!.location} is ${after.outcome === "reject" ? "refused" : `answered ${after.status ?? 404}`} by this Gateway` +
      `${after.listener ? ` (listener ${after.listener.name})` : ""}${why ? `: ${why}` : ""}`,
  ];
}

/** decide's line for a tie broken by age or name: `<winner> beat <loser>: older route ...` or `... sorts before ...`. */
const TIE_BREAK = /^(?:HTTPRoute|GRPCRoute) (\S+) rule \d+ match \d+ beat (HTTPRoute|GRPCRoute) (\S+) rule \d+ match \d+: (?:older route|\S+ sorts before )/;

/**
 * A tie between a route without hostnames and one that names the listener's hostname: the first
 * takes the listener's hostname, so both are as specific, and age or name decided. Users expect
 * the route that names the host to win (traefik/traefik#12795); say why it did not.
 */
export function inheritedHostnameNotes(world: World, d: Decision): string[] {
  if (!d.route || !d.listener) return [];
  const listener = world.table.listeners.find((l) => l.gateway === d.listener!.gateway && l.name === d.listener!.name);
  if (!listener?.hostname) return [];
  const hostnamesOf = (kind: string, key: string) => {
    const [ns, name] = key.split("/");
    const obj = world.objects.find((o) => o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? "default") === ns);
    return (obj as { spec?: { hostnames?: string[] } } | undefined)?.spec?.hostnames ?? [];
  };
  const notes: string[] = [];
  for (const line of d.explain ?? []) {
    const m = TIE_BREAK.exec(line);
    if (!m) continue;
    const [, winner, loserKind, loser] = m as unknown as [string, string, string, string];
    if (hostnamesOf(d.route.kind, winner).length || !hostnamesOf(loserKind, loser).length) continue;
    notes.push(
      `${d.route.kind} ${winner} has no hostnames, so it takes the listener's ${listener.hostname} and is as specific as ${loserKind} ${loser}, which names the host: ` +
        `the tie went by age or name, not by which route names the host; give the routes different matches, or keep one`,
    );
  }
  return notes;
}
