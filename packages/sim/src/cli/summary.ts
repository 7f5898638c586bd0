import type { ManifestObject } from "@gwsim/core";
import { wrap } from "./render-decision.js";

const ROUTE_KINDS = ["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"];
/** Route kinds with spec.hostnames (TCPRoute and UDPRoute have none: they match by port alone). */
const HOSTNAMED = new Set(["HTTPRoute", "GRPCRoute", "TLSRoute"]);

type Listener = { name?: string; port?: number; protocol?: string; hostname?: string };
type ParentRef = { name?: string; namespace?: string; sectionName?: string; port?: number; kind?: string };

function listenerLines(listeners: readonly Listener[] | undefined): string[] {
  return (listeners ?? []).map((l) => `  listener ${l.name} ${l.protocol} :${l.port}${l.hostname ? ` ${l.hostname}` : ""}`);
}

/** `ns/name/section`, led by the kind when it is not a Gateway (a ListenerSet, a mesh Service), and `:port` when set. */
function parentText(p: ParentRef, routeNamespace: string | undefined): string {
  const kind = p.kind && p.kind !== "Gateway" ? `${p.kind} ` : "";
  return `${kind}${p.namespace ?? routeNamespace}/${p.name}${p.sectionName ? `/${p.sectionName}` : ""}${p.port !== undefined ? `:${p.port}` : ""}`;
}

/** A short inventory of what the manifests declare: Gateways and ListenerSets with their listeners, and routes. */
export function summarize(objects: readonly ManifestObject[], read = objects.length): string {
  const lines: string[] = [];
  const byKind = new Map<string, number>();
  for (const o of objects) byKind.set(o.kind, (byKind.get(o.kind) ?? 0) + 1);
  // `objects` are the valid ones: when some were left out, say of how many (not "0 objects").
  const count = read > objects.length ? `${objects.length} of ${read} objects valid` : `${objects.length} objects`;
  lines.push(...wrap(`${count}: ${[...byKind].map(([k, n]) => `${n} ${k}`).join(", ") || "none"}`, "", "  "));
  for (const gw of objects.filter((o) => o.kind === "Gateway")) {
    const spec = (gw.spec ?? {}) as { gatewayClassName?: string; listeners?: Listener[] };
    lines.push(`Gateway ${gw.metadata.namespace}/${gw.metadata.name} (class ${spec.gatewayClassName ?? "?"})`);
    lines.push(...listenerLines(spec.listeners));
  }
  // A ListenerSet adds listeners to a Gateway: shown with the Gateway it names.
  for (const set of objects.filter((o) => o.kind === "ListenerSet")) {
    const spec = (set.spec ?? {}) as { parentRef?: { name?: string; namespace?: string }; listeners?: Listener[] };
    const parent = spec.parentRef ? `${spec.parentRef.namespace ?? set.metadata.namespace}/${spec.parentRef.name}` : "?";
    lines.push(`ListenerSet ${set.metadata.namespace}/${set.metadata.name} (on Gateway ${parent})`);
    lines.push(...listenerLines(spec.listeners));
  }
  for (const r of objects.filter((o) => ROUTE_KINDS.includes(o.kind))) {
    const spec = (r.spec ?? {}) as { hostnames?: string[]; parentRefs?: ParentRef[]; rules?: unknown[] };
    const parents = (spec.parentRefs ?? []).map((p) => parentText(p, r.metadata.namespace));
    const hosts = HOSTNAMED.has(r.kind) ? ` hosts ${spec.hostnames?.length ? spec.hostnames.join(",") : "*"},` : "";
    lines.push(...wrap(`${r.kind} ${r.metadata.namespace}/${r.metadata.name} → ${parents.join(", ") || "(no parent)"}${hosts} ${spec.rules?.length ?? 0} rule(s)`, "", "    "));
  }
  return `${lines.join("\n")}\n`;
}
