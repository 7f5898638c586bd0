/**
 * What every lint check reads: the world, the objects it was built from (for field positions
 * and for kinds the graph does not keep, such as ReferenceGrants), and helpers that make a
 * Finding point at the right line.
 */
import { positionOf, type ManifestObject } from "../manifest/object.js";
import type { SourcePosition } from "../model/diagnostic.js";
import type { Severity } from "../model/diagnostic.js";
import type { World } from "../world.js";
import type { Finding, LintObjectRef, LintRuleId, RelatedLocation } from "./finding.js";

/** Kinds that have no namespace. */
const CLUSTER_SCOPED = new Set(["GatewayClass", "Namespace"]);

export function namespaceOfObject(obj: ManifestObject): string {
  if (CLUSTER_SCOPED.has(obj.kind)) return "";
  return typeof obj.metadata?.namespace === "string" && obj.metadata.namespace !== "" ? obj.metadata.namespace : "default";
}

export function objectKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export interface LintContext {
  world: World;
  /** Null when the caller gave no objects: positions fall back to the graph's, grant checks are skipped. */
  objects: readonly ManifestObject[] | null;
  /** The first object of each kind/namespace/name (as resolve keeps the first of duplicates). */
  get(kind: string, namespace: string, name: string): ManifestObject | undefined;
  byKind(kind: string): readonly ManifestObject[];
  /** Where a field of an object is written; `fallback` when the object or its source is unknown. */
  locate(ref: LintObjectRef, path: string, fallback?: SourcePosition | null): { file: string | null; line: number | null; column: number | null };
  finding(f: {
    rule: LintRuleId;
    severity: Severity;
    object: LintObjectRef;
    path: string;
    message: string;
    fix: string;
    fallback?: SourcePosition | null;
    related?: RelatedLocation[];
  }): Finding;
  related(object: LintObjectRef, path: string, message: string, fallback?: SourcePosition | null): RelatedLocation;
}

export function lintContext(world: World, objects: readonly ManifestObject[] | null): LintContext {
  const byKey = new Map<string, ManifestObject>();
  const byKind = new Map<string, ManifestObject[]>();
  for (const o of objects ?? []) {
    if (!o || typeof o.kind !== "string" || typeof o.metadata?.name !== "string") continue;
    const key = objectKey(o.kind, namespaceOfObject(o), o.metadata.name);
    if (!byKey.has(key)) byKey.set(key, o);
    const list = byKind.get(o.kind) ?? [];
    list.push(o);
    byKind.set(o.kind, list);
  }
  const get = (kind: string, namespace: string, name: string) => byKey.get(objectKey(kind, namespace, name));
  const locate: LintContext["locate"] = (ref, path, fallback) => {
    const obj = get(ref.kind, ref.namespace ?? "", ref.name);
    const pos = obj ? positionOf(obj, path) : undefined;
    const at = pos ?? fallback ?? null;
    return at ? { file: at.file, line: at.line, column: at.column } : { file: null, line: null, column: null };
  };
  return {
    world,
    objects,
    get,
    byKind: (kind) => byKind.get(kind) ?? [],
    locate,
    finding: (f) => ({
      rule: f.rule,
      severity: f.severity,
      object: f.object,
      path: f.path,
      ...locate(f.object, f.path, f.fallback),
      message: f.message,
      fix: f.fix,
      related: f.related ?? [],
    }),
    related: (object, path, message, fallback) => ({ object, path, ...locate(object, path, fallback), message }),
  };
}

export function refText(ref: LintObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
}
