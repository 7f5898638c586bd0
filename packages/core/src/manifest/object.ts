import type { SourcePosition } from "../model/diagnostic.js";

/** A Kubernetes object as read from a manifest, before validation. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    generation?: number;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/**
 * The identity of an object of a kind gwsim does not read (an implementation's parameters or
 * policies): kept so that references to it can tell "exists, not simulated" from "missing".
 * `namespace` as written (absent for a cluster-scoped object, or one left to kubectl's default).
 */
export interface ForeignObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Where an object was read from, with the position of every field for diagnostics. */
export interface SourceInfo extends SourcePosition {
  /** 0-based index of the YAML document in its file. */
  doc: number;
  /** Index inside a `List`'s items, when the object came from one. */
  item?: number;
  /** Field path (`spec.rules[0].matches[1]`) to [line, column] of its value. */
  fields: Record<string, [number, number]>;
}

const SOURCE = Symbol.for("gwsim.source");

/** The source of an object; kept off the enumerable keys so objects stay plain data. */
export function sourceOf(obj: object): SourceInfo | undefined {
  return (obj as Record<symbol, SourceInfo | undefined>)[SOURCE];
}

export function withSource<T extends object>(obj: T, source: SourceInfo): T {
  Object.defineProperty(obj, SOURCE, { value: source, enumerable: false, configurable: true, writable: true });
  return obj;
}

/** Position of a field path, falling back to the nearest enclosing field, then the object. */
export function positionOf(obj: object, path: string): SourcePosition | undefined {
  const src = sourceOf(obj);
  if (!src) return undefined;
  let p = path;
  for (;;) {
    const hit = src.fields[p];
    if (hit) return { file: src.file, line: hit[0], column: hit[1] };
    if (p === "") return { file: src.file, line: src.line, column: src.column };
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    p = cut <= 0 ? "" : p.slice(0, cut);
  }
}
