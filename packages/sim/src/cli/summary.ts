import type { ManifestObject } from "@gwsim/core";

const ROUTE_KINDS = ["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"];

/** A short inventory of what the manifests declare: Gateways with their listeners, and routes. */
export function summarize(objects: readonly ManifestObject[]): string {
  const lines: string[] = [];
  const byKind = new Map<string, number>();
  for (const o of objects) byKind.set(o.kind, (byKind.get(o.kind) ?? 0) + 1);
  lines.push(`${objects.length} objects: ${[...byKind].map(([k, n]) => `${n} ${k}`).join(", ") || "none"}`);
  for (const gw of objects.filter((o) => o.kind === "Gateway")) {
    const spec = (gw.spec ?? {}) as { gatewayClassName?: string; listeners?: { name?: string; port?: number; protocol?: string; hostname?: string }[] };
    lines.push(`Gateway ${gw.metadata.namespace}/${gw.metadata.name} (class ${spec.gatewayClassName ?? "?"})`);
    for (const l of spec.listeners ?? []) {
      lines.push(`  listener ${l.name} ${l.protocol} :${l.port}${l.hostname ? ` ${l.hostname}` : ""}`);
    }
  }
  for (const r of objects.filter((o) => ROUTE_KINDS.includes(o.kind))) {
    const spec = (r.spec ?? {}) as { hostnames?: string[]; parentRefs?: { name?: string; namespace?: string; sectionName?: string }[]; rules?: unknown[] };
    const parents = (spec.parentRefs ?? []).map((p) => `${p.namespace ?? r.metadata.namespace}/${p.name}${p.sectionName ? `/${p.sectionName}` : ""}`);
    const hosts = spec.hostnames?.length ? spec.hostnames.join(",") : "*";
    lines.push(`${r.kind} ${r.metadata.namespace}/${r.metadata.name} → ${parents.join(", ") || "(no parent)"} hosts ${hosts}, ${spec.rules?.length ?? 0} rule(s)`);
  }
  return `${lines.join("\n")}\n`;
}
