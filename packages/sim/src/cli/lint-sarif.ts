/**
 * Lint findings as SARIF 2.1.0 (OASIS, sarif-v2.1.0-errata01-os), the format code-scanning tools
 * read: one run, the tool's rules as reportingDescriptors, one result per finding with a
 * physical location (file, line, column) and a logical one (the object and field path).
 */
import type { Finding, LintRuleInfo } from "@gwsim/core";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

const LEVEL = { error: "error", warning: "warning", info: "note" } as const;

export interface SarifOptions {
  toolVersion: string;
  rules: readonly LintRuleInfo[];
  /**
   * The directory relative file names are relative to (the working directory): written as
   * `originalUriBaseIds["%SRCROOT%"]`, so a consumer can place `%SRCROOT%`-based locations.
   */
  baseDirectory?: string;
}

/** The base id of relative locations (the name CodeQL and GitHub code scanning use). */
export const SRCROOT = "%SRCROOT%";

/** A file path as a URI reference: forward slashes, each segment percent-encoded. */
export function pathToUri(path: string): string {
  return path
    .replace(/\\/g, "/")
    .split("/")
    .map((s) => encodeURIComponent(s))
    .join("/");
}

/**
 * Where a file is, as SARIF's artifactLocation (§3.4): a relative path is a relative reference
 * against %SRCROOT%; an absolute one (POSIX, Windows drive, UNC) becomes a file: URI, since a bare
 * `/srv/x.yaml` or `C:/x.yaml` is no URI a consumer can resolve (`C:` would read as a scheme).
 */
export function artifactLocationOf(path: string): { uri: string; uriBaseId?: string } {
  const slashed = path.replace(/\\/g, "/");
  const unc = /^\/\/([^/]+)(\/.*)?$/.exec(slashed);
  if (unc) return { uri: `file://${unc[1]}${pathToUri(unc[2] ?? "/")}` };
  const drive = /^([A-Za-z]):(\/.*)?$/.exec(slashed);
  if (drive) return { uri: `file:///${drive[1]}:${pathToUri(drive[2] ?? "/")}` };
  if (slashed.startsWith("/")) return { uri: `file://${pathToUri(slashed)}` };
  return { uri: pathToUri(slashed), uriBaseId: SRCROOT };
}

/** The base directory as a file: URI ending in `/`, as originalUriBaseIds needs (§3.14.14). */
function directoryUri(dir: string): string {
  const { uri } = artifactLocationOf(dir);
  return uri.endsWith("/") ? uri : `${uri}/`;
}

/** PascalCase name for a rule id (`unreachable-rule` → `UnreachableRule`), SARIF's reportingDescriptor.name. */
function ruleName(id: string): string {
  return id.replace(/(^|-)([a-z])/g, (_, __: string, c: string) => c.toUpperCase());
}

function physical(file: string | null, line: number | null, column: number | null) {
  if (file === null || file === "<stdin>" || file === "<input>") return undefined;
  return {
    artifactLocation: artifactLocationOf(file),
    ...(line !== null ? { region: { startLine: line, ...(column !== null ? { startColumn: column } : {}) } } : {}),
  };
}

function logical(f: { object: Finding["object"]; path: string }) {
  const ns = f.object.namespace ? `${f.object.namespace}/` : "";
  return {
    name: f.object.name,
    fullyQualifiedName: `${f.object.kind}/${ns}${f.object.name}${f.path ? `#${f.path}` : ""}`,
    kind: "object",
  };
}

const sentence = (s: string) => (/[.!?]$/.test(s) ? s : `${s}.`);

export function toSarif(findings: readonly Finding[], options: SarifOptions): Record<string, unknown> {
  const index = new Map(options.rules.map((r, i) => [r.id, i]));
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "gwsim",
            semanticVersion: options.toolVersion,
            rules: options.rules.map((r) => ({
              id: r.id,
              name: ruleName(r.id),
              shortDescription: { text: r.summary },
              fullDescription: { text: r.help },
              help: { text: `${r.summary}. ${r.help}` },
              defaultConfiguration: { level: LEVEL[r.severity] },
            })),
          },
        },
        ...(options.baseDirectory !== undefined ? { originalUriBaseIds: { [SRCROOT]: { uri: directoryUri(options.baseDirectory) } } } : {}),
        // Columns count UTF-16 code units: the yaml package's offsets are JavaScript string indices.
        columnKind: "utf16CodeUnits",
        results: findings.map((f) => {
          const where = physical(f.file, f.line, f.column);
          const ruleIndex = index.get(f.rule);
          return {
            ruleId: f.rule,
            ...(ruleIndex !== undefined ? { ruleIndex } : {}),
            level: LEVEL[f.severity],
            message: { text: `${sentence(f.message)} Fix: ${sentence(f.fix)}` },
            locations: [{ ...(where ? { physicalLocation: where } : {}), logicalLocations: [logical(f)] }],
            ...(f.related.length
              ? {
                  relatedLocations: f.related.map((r, i) => {
                    const at = physical(r.file, r.line, r.column);
                    return { id: i + 1, ...(at ? { physicalLocation: at } : {}), logicalLocations: [logical(r)], message: { text: r.message } };
                  }),
                }
              : {}),
            properties: { fix: f.fix, object: f.object, path: f.path },
          };
        }),
      },
    ],
  };
}
