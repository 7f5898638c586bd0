/**
 * Reading a rollout file: the first Argo Rollouts `Rollout` or Flagger `Canary` in a YAML or JSON
 * file, with the position of every field so that problems point at the line.
 */
import { parseManifests, positionOf, type Diagnostic, type ManifestObject } from "@gwsim/core";

export interface RolloutFile {
  doc: ManifestObject | null;
  problems: Diagnostic[];
}

export const ROLLOUT_KINDS = new Set(["Rollout", "Canary"]);

export function parseRolloutFile(text: string, options: { file?: string } = {}): RolloutFile {
  const file = options.file ?? "<rollout>";
  const { objects, diagnostics } = parseManifests(text, { file, kinds: ROLLOUT_KINDS });
  const problems = diagnostics.filter((d) => d.severity !== "info");
  const found = objects[0] ?? null;
  if (objects.length > 1) {
    const at = positionOf(objects[1]!, "kind");
    problems.push({
      code: "rollout.several",
      severity: "warning",
      file: at?.file ?? file,
      line: at?.line ?? 1,
      column: at?.column ?? 1,
      path: "kind",
      message: `${objects.length} rollouts in the file (${objects.map((o) => `${o.kind} ${o.metadata.namespace ?? "default"}/${o.metadata.name}`).join(", ")}): only the first is simulated`,
    });
  }
  if (!found && !problems.length) {
    problems.push({ code: "rollout.not-found", severity: "error", file, line: 1, column: 1, path: "", message: "no Argo Rollouts Rollout or Flagger Canary in the file" });
  }
  return { doc: found, problems };
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
