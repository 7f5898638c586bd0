/** Where something came from in the user's manifests. Lines and columns are 1-based. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export type Severity = "error" | "warning" | "info";

/**
 * An input problem as data. `code` is stable (tests assert on it); `message` is prose.
 * `path` is the field path inside the document, e.g. `spec.rules[0].matches[1].path.value`.
 */
export interface Diagnostic {
  code: string;
  severity: Severity;
  file: string;
  /** 1-based; 0 (with column 0) when the problem has no place in the file (it cannot be read). */
  line: number;
  column: number;
  /** 0-based index of the YAML document in its file (or of the item in a List). */
  doc?: number;
  path: string;
  message: string;
  /** Kind/namespace/name of the object concerned, when known. */
  object?: string;
}
