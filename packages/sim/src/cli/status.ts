import { statusOf, type Condition, type StatusItem } from "@gwsim/core";
import { FILE_FLAG, loadWorld, WORLD_FLAGS } from "./common.js";
import { parseFlags, type CommandSpec } from "./flags.js";
import type { ExitCode, Io } from "./io.js";

export const statusSpec: CommandSpec = {
  name: "status",
  summary: "the status a conformant Gateway API controller would write for each object",
  usage: "gwsim status -f MANIFESTS [--json] [--controller-name NAME]",
  description:
    "With --json: a Kubernetes List of GatewayClasses, Gateways, ListenerSets, routes, policies and XBackends with their status " +
    "in the Gateway API's own schema. Without: a summary that leads with every unhealthy condition and why.",
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
  io.stdout(values.json ? `${JSON.stringify(list, null, 2)}\n` : renderStatus(list.items));
  return 0;
}

interface Finding {
  object: string;
  where: string;
  condition: Condition;
}

/** Unhealthy conditions first, each with its reason and message; then a line per healthy object. */
export function renderStatus(items: readonly StatusItem[]): string {
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
    const found = conditionsOf(item);
    const unhealthy = found.filter((f) => !healthy(f.condition));
    if (unhealthy.length) bad.push(...unhealthy.map((f) => ({ object, ...f })));
    else good.push(`  ok  ${object}${summaryOf(item)}`);
  }
  const out: string[] = [];
  if (bad.length) {
    out.push(`${bad.length} unhealthy condition(s):`);
    for (const b of bad) {
      out.push(`  ✗ ${b.object}${b.where}: ${b.condition.type}=${b.condition.status} (${b.condition.reason})`);
      if (b.condition.message) out.push(`      ${b.condition.message}`);
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

function conditionsOf(item: StatusItem): { where: string; condition: Condition }[] {
  const status = item.status as {
    conditions?: Condition[];
    listeners?: { name: string; conditions?: Condition[] }[];
    parents?: { parentRef: { name: string; namespace?: string; sectionName?: string; kind?: string }; conditions?: Condition[] }[];
    ancestors?: { ancestorRef: { name: string; namespace?: string; kind?: string }; conditions?: Condition[] }[];
  };
  const out: { where: string; condition: Condition }[] = [];
  for (const c of status.conditions ?? []) out.push({ where: "", condition: c });
  for (const l of status.listeners ?? []) for (const c of l.conditions ?? []) out.push({ where: ` listener ${l.name}`, condition: c });
  for (const p of status.parents ?? []) {
    const ref = `${p.parentRef.kind ?? "Gateway"} ${p.parentRef.namespace ? `${p.parentRef.namespace}/` : ""}${p.parentRef.name}${p.parentRef.sectionName ? `/${p.parentRef.sectionName}` : ""}`;
    for (const c of p.conditions ?? []) out.push({ where: ` on ${ref}`, condition: c });
  }
  for (const a of status.ancestors ?? []) {
    const ref = `${a.ancestorRef.kind ?? "Gateway"} ${a.ancestorRef.namespace ? `${a.ancestorRef.namespace}/` : ""}${a.ancestorRef.name}`;
    for (const c of a.conditions ?? []) out.push({ where: ` for ${ref}`, condition: c });
  }
  return out;
}

function summaryOf(item: StatusItem): string {
  const status = item.status as { listeners?: { name: string; attachedRoutes: number }[]; parents?: unknown[] };
  if (status.listeners?.length) return ` (${status.listeners.map((l) => `${l.name}: ${l.attachedRoutes} route(s)`).join(", ")})`;
  if (status.parents) return ` (${status.parents.length} parent(s))`;
  return "";
}
