import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node as YamlNode } from "yaml";
import type { Diagnostic } from "../model/diagnostic.js";
import { blankDocuments, findTooDeep, MAX_NESTING } from "./depth.js";
import { CLUSTER_SCOPED_KINDS, groupOf, identityKey, KIND_GROUPS, KNOWN_KINDS, objectKey, readsGroup } from "./kinds.js";
import { sourceOf, withSource, type ForeignObject, type ManifestObject, type SourceInfo } from "./object.js";

export interface ParseOptions {
  /** The name diagnostics and sources use for this text (a path, or `<stdin>`). */
  file?: string;
  /** The kinds to keep (default: the Gateway API and core kinds gwsim reads); others are skipped with a note. */
  kinds?: ReadonlySet<string>;
}

export interface ParseResult {
  objects: ManifestObject[];
  diagnostics: Diagnostic[];
  /**
   * Objects of kinds gwsim does not read (each also has a manifest.unknown-kind note): resolve
   * needs to know they exist, e.g. an implementation's parameters a GatewayClass names.
   */
  skipped: ForeignObject[];
}

/**
 * Parses YAML or JSON text holding one or many documents, or Kubernetes `List`s, into objects that
 * remember where each field came from. Pure: text in, objects and diagnostics out; never throws.
 */
export function parseManifests(text: string, options: ParseOptions = {}): ParseResult {
  const file = options.file ?? "<input>";
  const diagnostics: Diagnostic[] = [];
  const objects: ManifestObject[] = [];
  const skipped: ForeignObject[] = [];
  try {
    parseInto(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, file, options.kinds ?? KNOWN_KINDS, { objects, diagnostics, skipped });
  } catch (e) {
    diagnostics.push(diag("yaml.syntax", file, 1, 1, "", `cannot parse: ${(e as Error).message}`));
  }
  return dedupe(objects, diagnostics, skipped);
}

/** Parses several files as one set: duplicates across files are reported with both locations. */
export function parseManifestFiles(files: { file: string; text: string }[]): ParseResult {
  const all: ParseResult = { objects: [], diagnostics: [], skipped: [] };
  for (const f of files) {
    const r = parseManifests(f.text, { file: f.file });
    all.objects.push(...r.objects);
    all.diagnostics.push(...r.diagnostics);
    all.skipped.push(...r.skipped);
  }
  return dedupe(all.objects, all.diagnostics, all.skipped);
}

function parseInto(text: string, file: string, kinds: ReadonlySet<string>, out: Sink): void {
  const { diagnostics } = out;
  const tooDeep = findTooDeep(text);
  for (const d of tooDeep) {
    diagnostics.push(diag("manifest.too-deep", file, d.line, d.column, "",
      `nested more than ${MAX_NESTING} levels deep (brackets, braces or indentation); this document is skipped (Kubernetes objects are far shallower)`));
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(blankDocuments(text, tooDeep), { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const pos = (offset: number): [number, number] => {
    const p = lineCounter.linePos(offset);
    return [p.line, p.col];
  };
  let templated = false;
  list.forEach((doc, docIndex) => {
    const errors = doc.errors ?? [];
    if (errors.length > 0) {
      // A Helm/Go template is not YAML until rendered: one diagnostic for the document, not the
      // parser's cascade (five or more per file of a chart's templates/ directory).
      const template = templateStart(text, doc.range);
      if (template !== null) {
        // Said once per file, at its first template document: a chart file has several.
        if (templated) return;
        templated = true;
        const [line, col] = pos(template);
        diagnostics.push(diag("manifest.template", file, line, col, "", TEMPLATE_MESSAGE, docIndex));
        return;
      }
      for (const err of errors) {
        const [line, col] = pos(err.pos?.[0] ?? 0);
        diagnostics.push(diag("yaml.syntax", file, line, col, "", err.code === "DUPLICATE_KEY" ? duplicateKeyMessage(text, err.pos) : yamlMessage(err.message), docIndex));
      }
      return;
    }
    const root = doc.contents as YamlNode | null;
    if (root === null || root === undefined) return; // an empty document, e.g. a trailing `---`
    const [line, col] = pos(root.range?.[0] ?? 0);
    // A key that is a mapping or list (`{{ include "x" . }}` on a line of its own parses as one):
    // JSON has none, kubectl refuses it, and yaml would warn on the process's stderr.
    const badKey = collectionKey(root, doc);
    if (badKey) {
      const at = badKey.range?.[0] ?? 0;
      const [kl, kc] = pos(at);
      const source = text.slice(at, badKey.range?.[1] ?? at).replace(/\s+/g, " ").trim();
      // The key of `{{ include "x" . }}` is its inner `{ ... }`: look at the whole line.
      const lineStart = text.lastIndexOf("\n", at) + 1;
      const lineEnd = text.indexOf("\n", at);
      const braces = text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd).indexOf("{{");
      if (braces >= 0) {
        if (!templated) {
          templated = true;
          const [tl, tc] = pos(lineStart + braces);
          diagnostics.push(diag("manifest.template", file, tl, tc, "", TEMPLATE_MESSAGE, docIndex));
        }
        return;
      }
      const shown = source.length > 60 ? `${source.slice(0, 57)}...` : source;
      diagnostics.push(diag("yaml.syntax", file, kl, kc, "",
        `a mapping key is itself a ${isSeq(badKey) ? "list" : "mapping"} (${shown}); Kubernetes objects have only string keys (kubectl refuses this document); the document is skipped`, docIndex));
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      diagnostics.push(diag("yaml.syntax", file, line, col, "", yamlMessage((e as Error).message), docIndex));
      return;
    }
    if (value === null || value === undefined) return;
    const fields: Record<string, [number, number]> = {};
    collectPositions(root, "", fields, pos);
    readDocument(value, { file, line, column: col, doc: docIndex, fields }, kinds, out);
  });
}

/**
 * Turns parsed objects (e.g. JSON.parse'd `kubectl get -o json`) into the objects gwsim reads, with the
 * same checks, codes and severities as parseManifests: Lists unwrapped, missing fields and unread
 * kinds reported, namespaces defaulted, duplicates left out. Objects that already passed (the output
 * of parseManifests) come back unchanged and without diagnostics. Never mutates its input.
 */
export function admitObjects(values: readonly unknown[], options: { kinds?: ReadonlySet<string> } = {}): ParseResult {
  const objects: ManifestObject[] = [];
  const diagnostics: Diagnostic[] = [];
  const skipped: ForeignObject[] = [];
  const indexOf = new Map<object, number>();
  values.forEach((value, i) => {
    const known = value !== null && typeof value === "object" ? sourceOf(value) : undefined;
    // Objects built in code have no file: diagnostics name `<objects>` and the index, at line 0 (no place in a file).
    const source = known ?? { file: "<objects>", line: 0, column: 0, doc: i, fields: {} };
    const before = objects.length;
    readDocument(value, source, options.kinds ?? KNOWN_KINDS, { objects, diagnostics, skipped }, false);
    for (const o of objects.slice(before)) indexOf.set(o, i);
  });
  return dedupe(objects, diagnostics, skipped, indexOf);
}

function readDocument(
  value: unknown,
  source: SourceInfo,
  kinds: ReadonlySet<string>,
  out: Sink,
  attachSource = true,
): void {
  const { objects, diagnostics } = out;
  const { file, line, column, doc } = source;
  if (!isPlainObject(value)) {
    const what = Array.isArray(value) ? "a list" : `a ${typeof value}`;
    diagnostics.push(diag("manifest.not-object", file, line, column, "", `document is ${what}, not a Kubernetes object`, doc));
    return;
  }
  const kind = value.kind;
  if (typeof kind === "string" && (kind === "List" || (kind.endsWith("List") && "items" in value))) {
    if (!Array.isArray(value.items)) {
      const [l, c] = source.fields.items ?? [line, column];
      const found = value.items === undefined ? "it has none" : `found ${value.items === null ? "null" : typeof value.items}`;
      diagnostics.push(diag("manifest.invalid-list", file, l, c, "items", `${kind} items must be an array of objects (${found})`, doc));
      return;
    }
    value.items.forEach((item, i) => {
      const prefix = `items[${i}]`;
      const at = source.fields[prefix] ?? [line, column];
      const fields: Record<string, [number, number]> = {};
      for (const [k, v] of Object.entries(source.fields)) {
        if (k === prefix) fields[""] = v;
        else if (k.startsWith(`${prefix}.`)) fields[k.slice(prefix.length + 1)] = v;
      }
      const known = attachSource ? undefined : item !== null && typeof item === "object" ? sourceOf(item) : undefined;
      readDocument(item, known ?? { file, line: at[0], column: at[1], doc, item: i, fields }, kinds, out, attachSource);
    });
    return;
  }
  const here = (path: string): [number, number] => source.fields[path] ?? [line, column];
  if (typeof value.apiVersion !== "string" || value.apiVersion === "") {
    const [l, c] = here("apiVersion");
    diagnostics.push(diag("manifest.missing-apiversion", file, l, c, "apiVersion", "apiVersion: Required (a string such as gateway.networking.k8s.io/v1)", doc));
    return;
  }
  if (typeof kind !== "string" || kind === "") {
    const [l, c] = here("kind");
    diagnostics.push(diag("manifest.missing-kind", file, l, c, "kind", "kind: Required (a string such as HTTPRoute)", doc));
    return;
  }
  const metadata = value.metadata;
  const name = isPlainObject(metadata) ? metadata.name : undefined;
  if (!isPlainObject(metadata) || typeof name !== "string" || name === "") {
    const [l, c] = here(isPlainObject(metadata) ? "metadata" : "");
    diagnostics.push(diag("manifest.missing-name", file, l, c, "metadata.name", `metadata.name: Required: ${kind} has no name`, doc));
    return;
  }
  const group = groupOf(value.apiVersion);
  if (!kinds.has(kind) || !readsGroup(kind, group)) {
    const ns = typeof metadata.namespace === "string" && metadata.namespace !== "" ? `${metadata.namespace}/` : "";
    const why = kinds.has(kind)
      ? `gwsim reads ${kind} from ${KIND_GROUPS[kind]!.map((g) => g || "the core group").join(" or ")}, not ${group}`
      : "gwsim does not read this kind";
    diagnostics.push({
      ...diag("manifest.unknown-kind", file, line, column, "kind", `skipped ${kind} ${ns}${name} (${value.apiVersion}): ${why}${policyNote(value.spec)}`, doc),
      severity: "info",
    });
    out.skipped.push({ apiVersion: value.apiVersion, kind, ...(ns ? { namespace: metadata.namespace as string } : {}), name });
    return;
  }
  let obj = value as ManifestObject;
  if (!CLUSTER_SCOPED_KINDS.has(kind) && (typeof metadata.namespace !== "string" || metadata.namespace === "")) {
    // A copy: the caller's object may be frozen or still in use.
    obj = { ...obj, metadata: { ...obj.metadata, namespace: "default" } };
    const src = sourceOf(value);
    if (src) withSource(obj, src);
  }
  objects.push(attachSource ? withSource(obj, source) : obj);
}

/**
 * An implementation's policy (Envoy Gateway's SecurityPolicy, NGINX Gateway Fabric's
 * ClientSettingsPolicy, ...) names what it attaches to in spec.targetRefs (or the older
 * spec.targetRef): say which objects' traffic may differ from what gwsim simulates.
 */
function policyNote(spec: unknown): string {
  if (!isPlainObject(spec)) return "";
  const refs = Array.isArray(spec.targetRefs) ? spec.targetRefs : isPlainObject(spec.targetRef) ? [spec.targetRef] : [];
  const named = refs
    .filter(isPlainObject)
    .map((r) => `${typeof r.kind === "string" ? r.kind : "?"} ${typeof r.name === "string" ? r.name : "?"}${typeof r.sectionName === "string" ? `/${r.sectionName}` : ""}`);
  if (named.length === 0) return "";
  const shown = named.length > 3 ? `${named.slice(0, 3).join(", ")} and ${named.length - 3} more` : named.join(", ");
  return `; it is a policy attached to ${shown}, and what it does to their traffic is not simulated`;
}

interface Sink {
  objects: ManifestObject[];
  diagnostics: Diagnostic[];
  skipped: ForeignObject[];
}

/**
 * One object per identity: the last one given, as `kubectl apply -f a -f b` leaves b's version
 * (overlays applied on top of a base, such as an example on top of a quickstart, rely on it).
 * Each later definition is a warning naming both places.
 */
function dedupe(objects: ManifestObject[], diagnostics: Diagnostic[], skipped: ForeignObject[], indexOf?: ReadonlyMap<object, number>): ParseResult {
  const slot = new Map<string, number>();
  const kept: ManifestObject[] = [];
  for (const obj of objects) {
    const key = objectKey(obj.kind, obj.metadata.namespace, obj.metadata.name);
    const identity = identityKey(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    const at = slot.get(identity);
    if (at === undefined) {
      slot.set(identity, kept.length);
      kept.push(obj);
      continue;
    }
    const earlier = kept[at]!;
    kept[at] = obj;
    const a = sourceOf(earlier);
    const b = sourceOf(obj);
    const where = (s: SourceInfo | undefined, o: object) => (s ? `${s.file}:${s.line}:${s.column}` : `objects[${indexOf?.get(o) ?? "?"}]`);
    diagnostics.push({
      ...diag("manifest.duplicate", b?.file ?? "<objects>", b?.line ?? 0, b?.column ?? 0, "metadata.name",
        `duplicate ${key.replace(/\//, " ")}: defined at ${where(a, earlier)} and again at ${where(b, obj)}; the later one is used, as kubectl apply leaves the last one applied`, b?.doc ?? indexOf?.get(obj)),
      severity: "warning",
      object: key,
    });
  }
  return { objects: kept, diagnostics, skipped };
}

/** Records the [line, column] of every value under its field path (`spec.rules[0].matches`). */
function collectPositions(
  node: unknown,
  path: string,
  out: Record<string, [number, number]>,
  pos: (offset: number) => [number, number],
): void {
  if (!node || typeof node !== "object") return;
  const range = (node as YamlNode).range;
  if (range && !(path in out)) out[path] = pos(range[0]);
  if (isMap(node)) {
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
      const child = path === "" ? key : `${path}.${key}`;
      const valueNode = item.value as YamlNode | null;
      const keyRange = (item.key as YamlNode | null)?.range;
      // A null value (`port:`) has no range of its own: point at its key.
      const emptyValue = !valueNode || !valueNode.range || (isScalar(valueNode) && valueNode.value === null && valueNode.range[0] === valueNode.range[1]);
      // A block map or list starts on the line after its key; point at the key (`tls:`), as a person reads it.
      const blockCollection = !emptyValue && (isMap(valueNode) || isSeq(valueNode)) && !(valueNode as { flow?: boolean }).flow;
      if (keyRange && (emptyValue || blockCollection)) out[child] = pos(keyRange[0]);
      if (!emptyValue) collectPositions(valueNode, child, out, pos);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => collectPositions(item, `${path}[${i}]`, out, pos));
  }
}

const TEMPLATE_MESSAGE =
  "this file is a Go/Helm template ({{ ... }}), not YAML yet; render it first (helm template, or the tool that fills it) and give gwsim the output; its documents that do not parse are skipped";

/** The first mapping key that is a collection (directly or through an alias), depth first; null when none. */
function collectionKey(node: unknown, doc: Document.Parsed): YamlNode | null {
  if (isMap(node)) {
    for (const item of node.items) {
      const key = item.key as YamlNode | null;
      const target = isAlias(key) ? key.resolve(doc) : key;
      if (isCollection(target)) return key;
      const inner = collectionKey(item.value, doc);
      if (inner) return inner;
    }
  } else if (isSeq(node)) {
    for (const item of node.items) {
      const inner = collectionKey(item, doc);
      if (inner) return inner;
    }
  }
  return null;
}

/** The offset of the first `{{` of a document (its [start, end] range), or null when it has none. */
function templateStart(text: string, range: readonly number[] | undefined): number | null {
  if (!range) return null;
  const at = text.indexOf("{{", range[0]);
  return at >= 0 && at < (range[2] ?? range[1] ?? text.length) ? at : null;
}

/** Names the repeated key (yaml says only "Map keys must be unique"), at its second occurrence. */
function duplicateKeyMessage(text: string, pos: readonly [number, number] | undefined): string {
  // yaml's range covers only the key's first character: read the key token from there.
  const token = pos ? /^("(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^:,{}[\]\n]+?)\s*:/.exec(text.slice(pos[0], pos[0] + 200)) : null;
  const key = token ? token[1]!.trim().replace(/^"(.*)"$|^'(.*)'$/, "$1$2") : "";
  const shown = key ? ` ${JSON.stringify(key)}` : "";
  return `duplicate key${shown}: a key may appear once in a mapping; this document is skipped (kubectl refuses it too)`;
}

function yamlMessage(message: string): string {
  return message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function diag(code: string, file: string, line: number, column: number, path: string, message: string, doc?: number): Diagnostic {
  return { code, severity: "error", file, line, column, path, message, ...(doc !== undefined ? { doc } : {}) };
}
