/**
 * A copy-on-write set of objects for building route snapshots: a controller's edits clone the
 * route they touch once per snapshot, so every snapshot keeps its own routes while the objects
 * nobody edits are shared between snapshots.
 */
import type { ManifestObject } from "@gwsim/core";

export interface Working {
  objects: ManifestObject[];
  /** Objects cloned since the last snapshot: safe to edit in place. */
  fresh: WeakSet<ManifestObject>;
  /** Marks on rules (which controller action added them), carried over when a route is cloned. */
  marks: WeakMap<object, string>;
}

export function working(objects: readonly ManifestObject[]): Working {
  return { objects: [...objects], fresh: new WeakSet(), marks: new WeakMap() };
}

/** A deep copy that keeps the object's own symbol properties (its source position). */
export function cloneObject<T extends object>(o: T): T {
  const copy = structuredClone(o);
  for (const sym of Object.getOwnPropertySymbols(o)) Object.defineProperty(copy, sym, Object.getOwnPropertyDescriptor(o, sym)!);
  return copy;
}

export function keyOf(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export function find(w: Working, kind: string, namespace: string, name: string): ManifestObject | undefined {
  return w.objects.find((o) => o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? "default") === namespace);
}

/** The object, ready to edit: cloned (marks and all) the first time it is touched since the last snapshot. */
export function edit(w: Working, kind: string, namespace: string, name: string): ManifestObject | undefined {
  const i = w.objects.findIndex((o) => o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? "default") === namespace);
  if (i < 0) return undefined;
  const o = w.objects[i]!;
  if (w.fresh.has(o)) return o;
  const copy = cloneObject(o);
  const from = rulesOf(o);
  const to = rulesOf(copy);
  from.forEach((r, j) => {
    const m = w.marks.get(r);
    if (m !== undefined && to[j]) w.marks.set(to[j]!, m);
  });
  w.objects[i] = copy;
  w.fresh.add(copy);
  return copy;
}

/** Add an object (a Service a controller creates) or replace the one of the same kind and name. */
export function put(w: Working, obj: ManifestObject): void {
  const ns = obj.metadata.namespace ?? "default";
  const i = w.objects.findIndex((o) => o.kind === obj.kind && o.metadata.name === obj.metadata.name && (o.metadata.namespace ?? "default") === ns);
  if (i < 0) w.objects.push(obj);
  else w.objects[i] = obj;
  w.fresh.add(obj);
}

/** Drop an object (a Service a controller deleted). */
export function remove(w: Working, kind: string, namespace: string, name: string): void {
  w.objects = w.objects.filter((o) => !(o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? "default") === namespace));
}

export function snapshot(w: Working): ManifestObject[] {
  w.fresh = new WeakSet();
  return [...w.objects];
}

export type Rule = Record<string, unknown> & {
  name?: string;
  matches?: Record<string, unknown>[];
  filters?: Record<string, unknown>[];
  backendRefs?: BackendRef[];
};

export type BackendRef = Record<string, unknown> & { name?: string; port?: number; weight?: number; group?: string; kind?: string; namespace?: string };

export function rulesOf(o: ManifestObject): Rule[] {
  const spec = o.spec as { rules?: unknown } | undefined;
  return Array.isArray(spec?.rules) ? (spec!.rules as Rule[]) : [];
}

export function setRules(o: ManifestObject, rules: Rule[]): void {
  if (!o.spec || typeof o.spec !== "object") o.spec = {};
  (o.spec as Record<string, unknown>).rules = rules;
}
