/**
 * The project's status expectation format (test/scenarios/status/<name>/expected.yaml) and its
 * matcher. Only the fields that matter are written; the matcher follows the conformance suite's
 * rules: listed conditions must be present (reason and message optional), the listener set and
 * the number of route parents must be exact, supportedKinds is compared as a set.
 */
import { parseManifests } from "../packages/core/src/manifest/parse.js";
import { validateObjects } from "../packages/core/src/schema/index.js";
import { resolve, type ResolveOptions } from "../packages/core/src/resolve/index.js";
import type { Graph, StatusItem } from "../packages/core/src/resolve/graph.js";

export interface ExpectedCondition {
  type: string;
  status?: "True" | "False" | "Unknown";
  reason?: string;
  /** A substring the message must contain. */
  message?: string;
}

export interface ExpectedListener {
  name: string;
  attachedRoutes?: number;
  /** Route kinds, exact as a set. */
  supportedKinds?: string[];
  conditions?: ExpectedCondition[];
  /** Condition types that must not be present. */
  absentConditions?: string[];
}

export interface ExpectedParent {
  parentRef: Record<string, unknown>;
  controllerName?: string;
  conditions?: ExpectedCondition[];
  /** Condition types that must not be present. */
  absentConditions?: string[];
}

export interface ExpectedObject {
  kind: string;
  namespace?: string;
  name: string;
  conditions?: ExpectedCondition[];
  /** Condition types that must not be present. */
  absentConditions?: string[];
  /** The exact set of listeners, by name. */
  listeners?: ExpectedListener[];
  attachedListenerSets?: number;
  /** status.addresses, exact and in order ([] when there must be none). */
  addresses?: { type: string; value: string }[];
  /** The exact number of parents; each one listed must match one. */
  parents?: ExpectedParent[];
  ancestors?: { ancestorRef: Record<string, unknown>; conditions?: ExpectedCondition[] }[];
  /** The status must be exactly `{}` (an object gwsim leaves alone). */
  emptyStatus?: boolean;
  /** The object must not be listed at all. */
  absent?: boolean;
  /**
   * metadata.generation, which every condition of the status (the object's, its listeners',
   * parents' and ancestors') must report as observedGeneration (the conformance suite's
   * "latest conditions" check).
   */
  observedGeneration?: number;
}

export interface Expectation {
  options?: ResolveOptions;
  objects: ExpectedObject[];
}

/** parse → validate → resolve, failing loudly on any diagnostic so a typo cannot pass silently. */
export function resolveWorld(text: string, file: string, options: ResolveOptions = {}): { graph: Graph; problems: string[] } {
  const parsed = parseManifests(text, { file });
  const validated = validateObjects(parsed.objects);
  const problems = [...parsed.diagnostics, ...validated.diagnostics]
    .filter((d) => d.severity === "error")
    .map((d) => `${d.file}:${d.line}:${d.column}: ${d.path}: ${d.message}`);
  return { graph: resolve(validated.resources, options), problems };
}

type Cond = { type: string; status: string; reason: string; message: string; observedGeneration: number };

function conditionMismatch(where: string, expected: readonly ExpectedCondition[] | undefined, actual: readonly Cond[] | undefined): string[] {
  const out: string[] = [];
  for (const e of expected ?? []) {
    const found = (actual ?? []).find((c) => c.type === e.type);
    const want = `${e.type}${e.status ? `=${e.status}` : ""}${e.reason ? ` (${e.reason})` : ""}`;
    if (!found) {
      out.push(`${where}: missing condition ${want}; have ${(actual ?? []).map((c) => `${c.type}=${c.status} (${c.reason})`).join(", ") || "none"}`);
      continue;
    }
    const bad =
      (e.status && found.status !== e.status) || (e.reason && found.reason !== e.reason) || (e.message !== undefined && !found.message.includes(e.message));
    if (bad) out.push(`${where}: want ${want}${e.message ? ` with message containing ${JSON.stringify(e.message)}` : ""}, got ${found.type}=${found.status} (${found.reason}): ${found.message}`);
  }
  return out;
}

function absentMismatch(where: string, absent: readonly string[] | undefined, actual: readonly Cond[] | undefined): string[] {
  return (absent ?? []).filter((t) => (actual ?? []).some((c) => c.type === t)).map((t) => `${where}: condition ${t} must not be present`);
}

/** Every condition of a status, where it sits and its observedGeneration, against the generation expected. */
function generationMismatch(id: string, want: number, generation: number | undefined, status: Record<string, unknown>): string[] {
  const out = generation === want ? [] : [`${id}: metadata.generation ${generation}, want ${want}`];
  const lists: [string, unknown][] = [["", status.conditions]];
  for (const [field, label] of [["listeners", "name"], ["parents", "parentRef"], ["ancestors", "ancestorRef"]] as const) {
    for (const x of (status[field] ?? []) as Record<string, unknown>[]) lists.push([` ${field.slice(0, -1)} ${JSON.stringify(x[label])}`, x.conditions]);
  }
  let seen = 0;
  for (const [where, conds] of lists) {
    for (const c of (conds ?? []) as Cond[]) {
      seen++;
      if (c.observedGeneration !== want) out.push(`${id}${where}: condition ${c.type} observedGeneration ${c.observedGeneration}, want ${want}`);
    }
  }
  if (seen === 0) out.push(`${id}: no conditions to carry observedGeneration ${want}`);
  return out;
}

function refMatches(expected: Record<string, unknown>, actual: Record<string, unknown>): boolean {
  return Object.entries(expected).every(([k, v]) => actual[k] === v);
}

/** Every difference between the expectation and the status items, as readable lines. */
export function compareStatus(items: readonly StatusItem[], expected: readonly ExpectedObject[]): string[] {
  const out: string[] = [];
  for (const e of expected) {
    const id = `${e.kind} ${e.namespace ? `${e.namespace}/` : ""}${e.name}`;
    const it = items.find((i) => i.kind === e.kind && i.metadata.name === e.name && (i.metadata.namespace ?? undefined) === e.namespace);
    if (e.absent) {
      if (it) out.push(`${id}: expected not to be listed`);
      continue;
    }
    if (!it) {
      out.push(`${id}: not in the status list`);
      continue;
    }
    const status = it.status as {
      conditions?: Cond[];
      listeners?: { name: string; attachedRoutes: number; supportedKinds: { group: string; kind: string }[]; conditions: Cond[] }[];
      attachedListenerSets?: number;
      addresses?: { type: string; value: string }[];
      parents?: { parentRef: Record<string, unknown>; controllerName: string; conditions: Cond[] }[];
      ancestors?: { ancestorRef: Record<string, unknown>; conditions: Cond[] }[];
    };
    if (e.observedGeneration !== undefined) out.push(...generationMismatch(id, e.observedGeneration, it.metadata.generation, status));
    if (e.emptyStatus && Object.keys(status).length > 0) out.push(`${id}: expected an empty status, got ${JSON.stringify(status)}`);
    out.push(...conditionMismatch(id, e.conditions, status.conditions));
    out.push(...absentMismatch(id, e.absentConditions, status.conditions));
    if (e.attachedListenerSets !== undefined && (status.attachedListenerSets ?? 0) !== e.attachedListenerSets) {
      out.push(`${id}: attachedListenerSets ${status.attachedListenerSets ?? 0}, want ${e.attachedListenerSets}`);
    }
    if (e.addresses && JSON.stringify(status.addresses ?? []) !== JSON.stringify(e.addresses)) {
      out.push(`${id}: addresses ${JSON.stringify(status.addresses ?? [])}, want ${JSON.stringify(e.addresses)}`);
    }
    if (e.listeners) {
      const names = (status.listeners ?? []).map((l) => l.name).sort();
      const want = e.listeners.map((l) => l.name).sort();
      if (JSON.stringify(names) !== JSON.stringify(want)) out.push(`${id}: listeners [${names.join(", ")}], want [${want.join(", ")}]`);
      for (const el of e.listeners) {
        const al = (status.listeners ?? []).find((l) => l.name === el.name);
        if (!al) continue;
        const lid = `${id} listener ${el.name}`;
        if (el.attachedRoutes !== undefined && al.attachedRoutes !== el.attachedRoutes) out.push(`${lid}: attachedRoutes ${al.attachedRoutes}, want ${el.attachedRoutes}`);
        if (el.supportedKinds) {
          const have = al.supportedKinds.map((k) => k.kind).sort();
          if (JSON.stringify(have) !== JSON.stringify([...el.supportedKinds].sort())) out.push(`${lid}: supportedKinds [${have.join(", ")}], want [${el.supportedKinds.join(", ")}]`);
        }
        out.push(...conditionMismatch(lid, el.conditions, al.conditions), ...absentMismatch(lid, el.absentConditions, al.conditions));
      }
    }
    if (e.parents) {
      const actual = status.parents ?? [];
      if (actual.length !== e.parents.length) {
        out.push(`${id}: ${actual.length} parent(s) in status, want ${e.parents.length}: ${JSON.stringify(actual.map((p) => p.parentRef))}`);
      }
      for (const ep of e.parents) {
        const candidates = actual.filter((p) => refMatches(ep.parentRef, p.parentRef) && (!ep.controllerName || p.controllerName === ep.controllerName));
        if (candidates.length === 0) {
          out.push(`${id}: no parent matches ${JSON.stringify(ep.parentRef)}; have ${JSON.stringify(actual.map((p) => p.parentRef))}`);
          continue;
        }
        const where = `${id} parent ${JSON.stringify(ep.parentRef)}`;
        const problems = candidates.map((p) => [...conditionMismatch(where, ep.conditions, p.conditions), ...absentMismatch(where, ep.absentConditions, p.conditions)]);
        if (!problems.some((p) => p.length === 0)) out.push(...(problems[0] as string[]));
      }
    }
    if (e.ancestors) {
      const actual = status.ancestors ?? [];
      if (actual.length !== e.ancestors.length) out.push(`${id}: ${actual.length} ancestor(s), want ${e.ancestors.length}`);
      for (const ea of e.ancestors) {
        const a = actual.find((x) => refMatches(ea.ancestorRef, x.ancestorRef));
        if (!a) out.push(`${id}: no ancestor matches ${JSON.stringify(ea.ancestorRef)}`);
        else out.push(...conditionMismatch(`${id} ancestor ${JSON.stringify(ea.ancestorRef)}`, ea.conditions, a.conditions));
      }
    }
  }
  return out;
}
