import type { InputObject, ReferenceGrantSpecIn } from "./input.js";
import { namespaceOf, specOf } from "./input.js";

export interface RefFrom {
  group: string;
  kind: string;
  namespace: string;
}

export interface RefTo {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface ReferenceGrants {
  /** True when the reference stays in its namespace or a ReferenceGrant in the target's namespace allows it. */
  permits(from: RefFrom, to: RefTo): boolean;
}

/**
 * GEP-709: a grant lives in the namespace of the objects it exposes; `from` entries and `to`
 * entries each combine with OR; `to.name` unset means every object of that group/kind.
 * A grant elsewhere, or for another group, kind or name, permits nothing.
 */
export function indexReferenceGrants(objects: readonly InputObject[]): ReferenceGrants {
  const byNamespace = new Map<string, ReferenceGrantSpecIn[]>();
  for (const o of objects) {
    if (o.kind !== "ReferenceGrant") continue;
    const ns = namespaceOf(o);
    const list = byNamespace.get(ns) ?? [];
    list.push(specOf<ReferenceGrantSpecIn>(o) as ReferenceGrantSpecIn);
    byNamespace.set(ns, list);
  }
  return {
    permits(from, to) {
      if (from.namespace === to.namespace) return true;
      for (const grant of byNamespace.get(to.namespace) ?? []) {
        const fromOk = (grant.from ?? []).some(
          (f) => (f.group ?? "") === from.group && f.kind === from.kind && f.namespace === from.namespace,
        );
        if (!fromOk) continue;
        const toOk = (grant.to ?? []).some(
          (t) => (t.group ?? "") === to.group && t.kind === to.kind && (t.name === undefined || t.name === "" || t.name === to.name),
        );
        if (toOk) return true;
      }
      return false;
    },
  };
}
