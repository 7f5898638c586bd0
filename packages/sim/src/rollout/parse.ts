/**
 * Reading a rollout file: the first Argo Rollouts `Rollout` or Flagger `Canary` in a YAML or JSON
 * file, with the position of every field so that problems point at the line.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from "yaml";
import { positionOf, withSource, type Diagnostic, type ManifestObject } from "@gwsim/core";

export interface RolloutFile {
  doc: ManifestObject | null;
  problems: Diagnostic[];
}

export const ROLLOUT_KINDS = new Set(["Rollout", "Canary"]);

export function parseRolloutFile(text: string, options: { file?: string } = {}): RolloutFile {
  const file = options.file ?? "<rollout>";
  const problems: Diagnostic[] = [];
  const lineCounter = new LineCounter();
  const pos = (offset: number): [number, number] => {
    const p = lineCounter.linePos(offset);
    return [p.line, p.col];
  };
  let found: ManifestObject | null = null;
  const docs = parseAllDocuments(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, { lineCounter, prettyErrors: false });
  (Array.isArray(docs) ? docs : [docs]).forEach((doc, index) => {
    if (found) return;
    for (const err of doc.errors ?? []) {
      const [line, column] = pos(err.pos?.[0] ?? 0);
      problems.push({ code: "yaml.syntax", severity: "error", file, line, column, path: "", doc: index, message: err.message.split("\n")[0]! });
    }
    if (doc.errors?.length) return;
    const root = doc.contents as YamlNode | null;
    const value = root ? (doc.toJS({ maxAliasCount: 1000 }) as unknown) : null;
    if (!value || typeof value !== "object" || Array.isArray(value)) return;
    const v = value as Record<string, unknown>;
    if (typeof v.kind !== "string" || !ROLLOUT_KINDS.has(v.kind)) return;
    const meta = (v.metadata ?? {}) as Record<string, unknown>;
    if (typeof meta.name !== "string") meta.name = "";
    if (typeof meta.namespace !== "string" || meta.namespace === "") meta.namespace = "default";
    v.metadata = meta;
    const fields: Record<string, [number, number]> = {};
    collect(root, "", fields, pos);
    const [line, column] = pos(root?.range?.[0] ?? 0);
    found = withSource(v as ManifestObject, { file, line, column, doc: index, fields });
  });
  if (!found && !problems.length) {
    problems.push({ code: "rollout.not-found", severity: "error", file, line: 1, column: 1, path: "", message: "no Argo Rollouts Rollout or Flagger Canary in the file" });
  }
  return { doc: found, problems };
}

function collect(node: unknown, path: string, out: Record<string, [number, number]>, pos: (offset: number) => [number, number]): void {
  if (!node || typeof node !== "object") return;
  const range = (node as YamlNode).range;
  if (range && !(path in out)) out[path] = pos(range[0]);
  if (isMap(node)) {
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
      const child = path === "" ? key : `${path}.${key}`;
      const keyRange = (item.key as YamlNode | null)?.range;
      // Point at the key, as a person reads `pause:` rather than the line below it.
      if (keyRange) out[child] = pos(keyRange[0]);
      collect(item.value, child, out, pos);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => collect(item, `${path}[${i}]`, out, pos));
  }
}

/** A problem about a field of the rollout document, located when the document came from a file. */
export function problemAt(doc: ManifestObject, path: string, code: string, severity: Diagnostic["severity"], message: string): Diagnostic {
  const at = positionOf(doc, path);
  return {
    code,
    severity,
    file: at?.file ?? "<rollout>",
    line: at?.line ?? 1,
    column: at?.column ?? 1,
    path,
    message,
    object: `${doc.kind}/${doc.metadata.namespace ?? "default"}/${doc.metadata.name}`,
  };
}
