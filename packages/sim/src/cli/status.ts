import { NAMESPACE_NAME_LABEL, positionOf, statusOf, type Condition, type ForeignObject, type ManifestObject, type StatusItem } from "@gwsim/core";
import { FILE_FLAG, loadWorld, WORLD_FLAGS } from "./common.js";
import { parseFlags, type CommandSpec } from "./flags.js";
import type { ExitCode, Io } from "./io.js";
import { wrap } from "./render-decision.js";

export const statusSpec: CommandSpec = {
  name: "status",
  summary: "the status a conformant Gateway API controller would write for each object",
  usage: "gwsim status -f MANIFESTS [--json] [--controller-name NAME]",
  description:
    "With --json: a Kubernetes List of GatewayClasses, Gateways, ListenerSets, routes, policies and XBackends with their status " +
    "in the Gateway API's own schema. Without: a summary that leads with every unhealthy condition, why, and where " +
    "(file:line:col of the listener, parentRef or object it is about), in 80 columns.",
  flags: [FILE_FLAG, ...WORLD_FLAGS, { name: "json", type: "boolean", description: "print the status List as JSON" }],
  examples: ["gwsim status -f manifests/", "gwsim status -f manifests/ --json | jq '.items[] | select(.kind==\"HTTPRoute\")'"],
};

/** Condition types whose healthy value is False (the rest are healthy when True). */
const NEGATIVE_POLARITY = new Set(["Conflicted", "PartiallyInvalid", "Detached", "OverlappingTLSConfig"]);

const healthy = (c: Condition) => (NEGATIVE_POLARITY.has(c.type) ? c.status === "False" : c.status === "True");

export async function statusCommand(argv: string[], io: Io): Promise<ExitCode> {
  const { values } = parseFlags(statusSpec, argv);
  const world = await loadWorld(values, io);
  if (!world) return 2;
  const list = statusOf(world);
  io.stdout(values.json ? `${JSON.stringify(list, null, 2)}\n` : renderStatus(list.items, world.objects, world.options.foreignObjects ?? []));
  return 0;
}

interface Finding {
  object: string;
  /** The manifest object the condition is on, when the manifests hold it. */
  source?: ManifestObject | undefined;
  where: string;
  condition: Condition;
  /** `file:line:col (field)` of what the condition is about, when the manifests say. */
  at: string | null;
}

/** Unhealthy conditions first, each with its reason, message and source; then a line per healthy object. */
export function renderStatus(items: readonly StatusItem[], objects: readonly ManifestObject[] = [], foreign: readonly ForeignObject[] = []): string {
  const bad: Finding[] = [];
  const good: string[] = [];
  const others: string[] = [];
  // An XBackend writes status only for the parents whose routes reference it (GEP-4894).
  const unreferenced: string[] = [];
  for (const item of items) {
    const object = `${item.kind} ${item.metadata.namespace ? `${item.metadata.namespace}/` : ""}${item.metadata.name}`;
    // An empty status, or a route with no parent gwsim manages: another controller's (--controller-name).
    const status = item.status ?? {};
    if (Object.keys(status).length === 0 || (Array.isArray(status.parents) && status.parents.length === 0)) {
      (item.kind === "XBackend" ? unreferenced : others).push(`  -   ${object}`);
      continue;
    }
    const source = objects.find((o) => o.kind === item.kind && o.metadata.name === item.metadata.name && (o.metadata.namespace ?? "") === (item.metadata.namespace ?? ""));
    const found = conditionsOf(item, source);
    const unhealthy = found.filter((f) => !healthy(f.condition));
    if (unhealthy.length) bad.push(...unhealthy.map((f) => ({ object, source, ...f, at: source ? (locate(source, refField(f.field, f.condition.message)) ?? locate(source, f.field)) : null })));
    else good.push(...wrap(`${object}${summaryOf(item)}`, "  ok  ", "        "));
  }
  const out: string[] = [];
  if (bad.length) {
    out.push(`${bad.length} unhealthy condition(s):`);
    // Wrapped to 80 columns, as the other text outputs, so piped output reads in a terminal or a CI log.
    // The source once per run of conditions about the same place (a Gateway's Accepted, Programmed, ...).
    let lastAt: string | null = null;
    for (const b of bad) {
      out.push(...wrap(`${b.object}${b.where}: ${b.condition.type}=${b.condition.status} (${b.condition.reason})`, "  ✗ ", "      "));
      if (b.condition.message) out.push(...wrap(b.condition.message, "      ", "      "));
      for (const hint of [...elsewhereHints(b.condition.message, objects), ...issuedHints(b.condition.message, b.source, foreign)]) out.push(...wrap(`hint: ${hint}`, "      ", "        "));
      if (b.at && b.at !== lastAt) out.push(...wrap(`at ${b.at}`, "      ", "        "));
      lastAt = b.at;
    }
    out.push("");
  } else if (good.length) {
    out.push("all conditions healthy", "");
  } else {
    out.push("no object gwsim acts for", "");
  }
  if (good.length) out.push("healthy:", ...good);
  if (others.length) out.push(...(good.length ? [""] : []), "not acted on (another controller's, see --controller-name):", ...others);
  if (unreferenced.length) out.push(...(good.length || others.length ? [""] : []), "XBackends no accepted route references (no parents):", ...unreferenced);
  return `${out.join("\n")}\n`;
}

const CERT_MANAGER_GROUP = "cert-manager.io";
const ISSUER_ANNOTATIONS = ["cert-manager.io/cluster-issuer", "cert-manager.io/issuer"];

/**
 * For a certificate `Secret ns/name not found`: Secrets cert-manager issues are rarely in the
 * manifests. Said when the Gateway (or ListenerSet) carries cert-manager's issuer annotation (its
 * gateway-shim creates the Secret of every listener's certificateRefs), or when the manifests
 * hold cert-manager Certificates in that namespace (gwsim reads neither).
 */
export function issuedHints(message: string, source: ManifestObject | undefined, foreign: readonly ForeignObject[]): string[] {
  const hints: string[] = [];
  for (const m of message.matchAll(/\bSecret ([^/\s]+)\/([^\s,;:()]+) not found/g)) {
    const [, namespace, name] = m as unknown as [string, string, string];
    const add = `add a kubernetes.io/tls Secret ${namespace}/${name} to the manifests to simulate the listeners that use it`;
    const annotation = ISSUER_ANNOTATIONS.find((a) => source?.metadata.annotations?.[a] !== undefined);
    if (annotation) {
      hints.push(`${source!.kind} ${source!.metadata.name} has the ${annotation} annotation: cert-manager creates this Secret in the cluster, which gwsim does not simulate; ${add}`);
      continue;
    }
    const certificates = foreign
      .filter((f) => f.kind === "Certificate" && f.apiVersion.split("/")[0] === CERT_MANAGER_GROUP && (f.namespace ?? "default") === namespace)
      .map((f) => f.name)
      .sort();
    if (certificates.length) {
      hints.push(`the manifests hold cert-manager Certificate(s) ${certificates.join(", ")} in ${namespace}: the one whose secretName is ${name} creates it in the cluster, which gwsim does not simulate; ${add}`);
    }
  }
  return hints;
}

/**
 * For `Secret ns/name not found` (or a Service, ConfigMap): the namespaces that do have an object
 * of that kind and name, the usual cause being a ref that left out `namespace:` (it then means
 * the referrer's own namespace) or named the wrong one. For a namespace an allowedRoutes
 * selector does not match: the labels it has.
 */
export function elsewhereHints(message: string, objects: readonly ManifestObject[]): string[] {
  const hints: string[] = [];
  for (const m of message.matchAll(/\b(Secret|Service|ConfigMap) ([^/\s]+)\/([^\s,;:()]+) not found/g)) {
    const [, kind, namespace, name] = m as unknown as [string, string, string, string];
    const found = [...new Set(objects.filter((o) => o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? "default") !== namespace).map((o) => o.metadata.namespace ?? "default"))].sort();
    if (found.length === 0) continue;
    hints.push(
      `a ${kind} ${name} exists in ${found.join(", ")}: to use it, give the ref namespace: ${found[0]} (a ref without namespace means the referrer's own) and add a ReferenceGrant in ${found[0]} that allows it`,
    );
  }
  // A selector that does not match: the labels the namespace has, where a typo in a key or value shows.
  for (const m of new Set([...message.matchAll(/namespace (\S+) does not match its allowedRoutes selector/g)].map((x) => x[1]!))) {
    const ns = objects.find((o) => o.kind === "Namespace" && o.metadata.name === m);
    // As resolve reads them: the API server adds kubernetes.io/metadata.name to every namespace.
    const labels = Object.entries({ ...(ns?.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: m }).map(([k, v]) => `${k}=${v}`);
    hints.push(ns ? `namespace ${m} has labels ${labels.join(", ")}` : `the manifests have no Namespace ${m}: gwsim gives it only the label the API server adds, ${labels.join(", ")}`);
  }
  return hints;
}

/** `file:line:col (field)`: where a field of an object was read, the object itself when `field` is empty. */
function locate(o: ManifestObject, field: string): string | null {
  const p = positionOf(o, field);
  return p ? `${p.file}:${p.line}:${p.column}${field ? ` (${field})` : ""}` : null;
}

type ParentRef = { name: string; namespace?: string; sectionName?: string; port?: number; kind?: string; group?: string };

/**
 * The field a condition's first problem names, below the listener or parentRef it is reported on:
 * resolve's messages start `rule 0 backendRef 1: ...` (a route's ResolvedRefs) or
 * `certificateRefs[0]: ...` (a listener's).
 */
function refField(field: string, message: string): string {
  if (field.startsWith("spec.parentRefs[")) {
    const inRule = ruleField(message);
    if (inRule) return inRule;
  }
  const cert = /^certificateRefs\[(\d+)\]:/.exec(message);
  if (cert && field.startsWith("spec.listeners[")) return `${field}.tls.certificateRefs[${cert[1]}]`;
  return field;
}

/**
 * The route field a message from resolve names: `rule 0 (name) backendRef 1: ...`,
 * `rule 0 filter 2 (ExtensionRef): ...`, `rule 0 backendRef 1 filter 0 (RequestMirror) backendRef: ...`,
 * `rule 0: match 1: ...`. Null when it names none.
 */
export function ruleField(message: string): string | null {
  const m = /^rule (\d+)(?: \([a-z0-9-]+\))?(?: backendRef (\d+))?(?: filter (\d+) \(([A-Za-z]+)\)( backendRef)?)?(?:: match (\d+))?:/.exec(message);
  if (!m) return null;
  const [, rule, backend, filter, type, filterBackend, match] = m;
  if (backend === undefined && filter === undefined && match === undefined) return null;
  let field = `spec.rules[${rule}]`;
  if (backend !== undefined) field += `.backendRefs[${backend}]`;
  if (filter !== undefined) {
    field += `.filters[${filter}]`;
    if (filterBackend) field += `.${type![0]!.toLowerCase()}${type!.slice(1)}.backendRef`;
  }
  if (match !== undefined) field += `.matches[${match}]`;
  return field;
}

/** The index of the spec.parentRefs entry a status.parents entry reports on (defaults filled as the API server fills them). */
function parentIndex(source: ManifestObject, ref: ParentRef): number {
  const refs = ((source.spec ?? {}) as { parentRefs?: ParentRef[] }).parentRefs ?? [];
  const ns = source.metadata.namespace;
  return refs.findIndex(
    (r) =>
      r.name === ref.name &&
      (r.namespace ?? ns) === (ref.namespace ?? ns) &&
      (r.kind ?? "Gateway") === (ref.kind ?? "Gateway") &&
      (r.sectionName ?? null) === (ref.sectionName ?? null) &&
      (r.port ?? null) === (ref.port ?? null),
  );
}

/** The index of a listener by name in spec.listeners (a Gateway's or a ListenerSet's). */
function listenerIndex(source: ManifestObject, name: string): number {
  return (((source.spec ?? {}) as { listeners?: { name?: string }[] }).listeners ?? []).findIndex((l) => l.name === name);
}

/** Each condition, where it is reported (`listener a`, `on Gateway ns/gw`) and the field it is about (empty: the object). */
function conditionsOf(item: StatusItem, source: ManifestObject | undefined): { where: string; condition: Condition; field: string }[] {
  const status = item.status as {
    conditions?: Condition[];
    listeners?: { name: string; conditions?: Condition[] }[];
    parents?: { parentRef: ParentRef; conditions?: Condition[] }[];
    ancestors?: { ancestorRef: { name: string; namespace?: string; kind?: string }; conditions?: Condition[] }[];
  };
  const out: { where: string; condition: Condition; field: string }[] = [];
  for (const c of status.conditions ?? []) out.push({ where: "", condition: c, field: "" });
  for (const l of status.listeners ?? []) {
    const i = source ? listenerIndex(source, l.name) : -1;
    for (const c of l.conditions ?? []) out.push({ where: ` listener ${l.name}`, condition: c, field: i >= 0 ? `spec.listeners[${i}]` : "" });
  }
  for (const p of status.parents ?? []) {
    // A parentRef without namespace means the route's own: named in full, as everywhere else.
    const ns = p.parentRef.namespace ?? item.metadata.namespace;
    const ref = `${p.parentRef.kind ?? "Gateway"} ${ns ? `${ns}/` : ""}${p.parentRef.name}${p.parentRef.sectionName ? `/${p.parentRef.sectionName}` : ""}${p.parentRef.port !== undefined ? `:${p.parentRef.port}` : ""}`;
    const i = source ? parentIndex(source, p.parentRef) : -1;
    for (const c of p.conditions ?? []) out.push({ where: ` on ${ref}`, condition: c, field: i >= 0 ? `spec.parentRefs[${i}]` : "" });
  }
  for (const a of status.ancestors ?? []) {
    const ref = `${a.ancestorRef.kind ?? "Gateway"} ${a.ancestorRef.namespace ? `${a.ancestorRef.namespace}/` : ""}${a.ancestorRef.name}`;
    for (const c of a.conditions ?? []) out.push({ where: ` for ${ref}`, condition: c, field: "" });
  }
  return out;
}

function summaryOf(item: StatusItem): string {
  const status = item.status as { listeners?: { name: string; attachedRoutes: number }[]; parents?: unknown[] };
  if (status.listeners?.length) return ` (${status.listeners.map((l) => `${l.name}: ${l.attachedRoutes} route(s)`).join(", ")})`;
  if (status.parents) return ` (${status.parents.length} parent(s))`;
  return "";
}
