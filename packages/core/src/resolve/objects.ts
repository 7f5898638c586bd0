import type { ForeignObject } from "../manifest/object.js";
import { groupOf } from "../manifest/kinds.js";
import type { InputObject } from "./input.js";
import { namespaceOf, nn } from "./input.js";
import { indexReferenceGrants, type ReferenceGrants } from "./reference-grants.js";
import { namespaceLabels } from "./selector.js";

export const ROUTE_KINDS = ["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"] as const;

/** Kinds in the order `gwsim status` lists them. */
export const STATUS_KIND_ORDER = ["GatewayClass", "Gateway", "ListenerSet", ...ROUTE_KINDS, "BackendTLSPolicy", "XBackendTrafficPolicy", "XBackend"] as const;

/** Every object resolve looks at, indexed, sorted so that results never depend on input order. */
export interface ObjectIndex {
  all: readonly InputObject[];
  byKind(kind: string): readonly InputObject[];
  get(kind: string, namespace: string, name: string): InputObject | undefined;
  namespaceLabels(name: string): Record<string, string>;
  grants: ReferenceGrants;
  /**
   * An object of a kind gwsim does not read that the manifests hold (group, kind, name; with
   * `namespace` for a namespaced reference, where one written without a namespace counts as
   * `default`, as for every other object).
   */
  foreign(group: string, kind: string, namespace: string | undefined, name: string): ForeignObject | undefined;
}

export function compareObjects(a: InputObject, b: InputObject): number {
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  const na = nn(namespaceOf(a), a.metadata.name);
  const nb = nn(namespaceOf(b), b.metadata.name);
  return na < nb ? -1 : na > nb ? 1 : 0;
}

export function indexObjects(objects: readonly InputObject[], foreignObjects: readonly ForeignObject[] = []): ObjectIndex {
  const all = [...objects].filter((o) => o && typeof o.kind === "string" && o.metadata && typeof o.metadata.name === "string").sort(compareObjects);
  const byKind = new Map<string, InputObject[]>();
  const byKey = new Map<string, InputObject>();
  for (const o of all) {
    const kind = o.kind;
    const list = byKind.get(kind) ?? [];
    list.push(o);
    byKind.set(kind, list);
    const key = `${kind}/${namespaceOf(o)}/${o.metadata.name}`;
    if (!byKey.has(key)) byKey.set(key, o); // a duplicate keeps the first in sorted order
  }
  const nsLabels = new Map<string, Record<string, string>>();
  for (const ns of byKind.get("Namespace") ?? []) nsLabels.set(ns.metadata.name, { ...(ns.metadata.labels ?? {}) });
  const foreign = new Map<string, ForeignObject>();
  for (const f of foreignObjects) {
    const group = groupOf(f.apiVersion);
    // A reference without a namespace names a cluster-scoped object; with one, a namespaced object
    // (written without a namespace, kubectl puts it in `default`). gwsim cannot tell the kind's
    // scope, so an object without a namespace answers both.
    if (f.namespace === undefined) foreign.set(`${group}|${f.kind}||${f.name}`, f);
    const key = `${group}|${f.kind}|${f.namespace ?? "default"}|${f.name}`;
    if (!foreign.has(key)) foreign.set(key, f);
  }
  return {
    all,
    foreign: (group, kind, namespace, name) => foreign.get(`${group}|${kind}|${namespace ?? ""}|${name}`),
    byKind: (kind) => byKind.get(kind) ?? [],
    get: (kind, namespace, name) => byKey.get(`${kind}/${namespace}/${name}`),
    namespaceLabels: (name) => namespaceLabels(nsLabels, name),
    grants: indexReferenceGrants(all),
  };
}

/** Oldest first; an object without creationTimestamp counts as newer than every object with one; ties by ns/name. */
export function compareAge(
  a: { creationTimestamp: string | null; namespace: string; name: string },
  b: { creationTimestamp: string | null; namespace: string; name: string },
): number {
  const ta = a.creationTimestamp ? Date.parse(a.creationTimestamp) : Number.NaN;
  const tb = b.creationTimestamp ? Date.parse(b.creationTimestamp) : Number.NaN;
  const ha = !Number.isNaN(ta);
  const hb = !Number.isNaN(tb);
  if (ha && !hb) return -1;
  if (!ha && hb) return 1;
  if (ha && hb && ta !== tb) return ta - tb;
  const ka = `${a.namespace}/${a.name}`;
  const kb = `${b.namespace}/${b.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
