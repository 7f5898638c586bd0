/**
 * Which sockets to open: one frontend per Gateway, port and transport, holding the ready
 * listeners that share it. `--listen` moves a listener port to a local address.
 */
import { sourceOf, type ResolvedListener, type World } from "@gwsim/core";

export interface BindAddress {
  host: string;
  port: number;
}

/** `--listen` entries: key `PORT` (every Gateway) or `NAMESPACE/GATEWAY:PORT` (one Gateway). */
export type ListenMap = ReadonlyMap<string, BindAddress>;

export type FrontendKind = "http" | "tls" | "tcp" | "udp";

export interface FrontendPlan {
  /** `namespace/gateway:port/kind`: stable across reloads while the Gateway keeps the port. */
  key: string;
  gateway: string;
  port: number;
  kind: FrontendKind;
  listeners: ResolvedListener[];
  bind: BindAddress;
}

const KIND_BY_PROTOCOL: Record<string, FrontendKind> = { HTTP: "http", HTTPS: "tls", TLS: "tls", TCP: "tcp", UDP: "udp" };
/** Transport per kind: an HTTP and a TLS listener on one port conflict; TCP and UDP do not. */
const TRANSPORT: Record<FrontendKind, "tcp" | "udp"> = { http: "tcp", tls: "tcp", tcp: "tcp", udp: "udp" };

/** Parses `PORT=ADDR:PORT` or `NS/GW:PORT=ADDR:PORT` (ADDR may be `[::1]`); returns an error text when malformed. */
export function parseListen(values: readonly string[]): { map: Map<string, BindAddress>; error: string | null } {
  const map = new Map<string, BindAddress>();
  for (const v of values) {
    const m = /^((?:[^/\s=]+\/[^/\s:=]+:)?\d{1,5})=(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]*):(\d{1,5})$/.exec(v);
    const listenerPort = m ? Number(m[1]!.slice(m[1]!.lastIndexOf(":") + 1)) : NaN;
    const port = m ? Number(m[3]) : NaN;
    if (!m || !(listenerPort >= 1 && listenerPort <= 65535) || !(port >= 0 && port <= 65535)) {
      return { map, error: `--listen ${JSON.stringify(v)}: expected PORT=ADDR:PORT or NAMESPACE/GATEWAY:PORT=ADDR:PORT` };
    }
    const host = m[2]!.replace(/^\[(.*)\]$/, "$1") || "0.0.0.0";
    map.set(m[1]!, { host, port });
  }
  return { map, error: null };
}

/**
 * Why a `--listen` entry names no listener of the world, or null when each names one. A typo
 * must not pass silently: the listener it meant would then bind to 0.0.0.0, exposing the
 * gateway. Listeners that are not ready count (naming one is no typo; a reload may fix it).
 */
export function unknownListen(world: World, listen: ListenMap): string | null {
  const byGateway = new Map<string, Set<number>>();
  for (const l of world.graph.listeners) {
    const gateway = `${l.gateway.namespace}/${l.gateway.name}`;
    let ports = byGateway.get(gateway);
    if (!ports) byGateway.set(gateway, (ports = new Set()));
    ports.add(l.port);
  }
  const all = [...byGateway].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flatMap(([g, ports]) => [...ports].sort((a, b) => a - b).map((p) => `${g}:${p}`));
  const known = all.length ? `listeners: ${all.join(", ")}` : "the manifests declare no listener";
  for (const [key, bind] of listen) {
    const flag = `--listen ${key}=${bind.host.includes(":") ? `[${bind.host}]` : bind.host}:${bind.port}`;
    const colon = key.lastIndexOf(":");
    if (colon < 0) {
      const port = Number(key);
      if (![...byGateway.values()].some((ports) => ports.has(port))) return `${flag}: no listener on port ${port} (${known})`;
      continue;
    }
    const gateway = key.slice(0, colon);
    const port = Number(key.slice(colon + 1));
    if (!byGateway.has(gateway)) return `${flag}: no Gateway ${gateway} with listeners (${known})`;
    if (!byGateway.get(gateway)!.has(port)) return `${flag}: Gateway ${gateway} has no listener on port ${port} (${known})`;
  }
  return null;
}

/** Frontends for the world's ready listeners, in a stable order. */
export function planFrontends(world: World, listen: ListenMap): { plans: FrontendPlan[]; notes: string[] } {
  const notes: string[] = [];
  const groups = new Map<string, FrontendPlan>();
  for (const l of world.graph.listeners) {
    if (!l.ready) {
      notes.push(notServed(world, l));
      continue;
    }
    const kind = KIND_BY_PROTOCOL[l.protocol];
    if (!kind) {
      notes.push(`listener ${l.id}: protocol ${l.protocol} is not served`);
      continue;
    }
    const gateway = `${l.gateway.namespace}/${l.gateway.name}`;
    const groupKey = `${gateway}:${l.port}/${TRANSPORT[kind]}`;
    const existing = groups.get(groupKey);
    if (existing) {
      if (existing.kind !== kind) {
        notes.push(`listener ${l.id}: ${l.protocol} on port ${l.port} conflicts with a ${existing.kind} listener, not served`);
        continue;
      }
      existing.listeners.push(l);
      continue;
    }
    const bind = listen.get(`${gateway}:${l.port}`) ?? listen.get(String(l.port)) ?? { host: "0.0.0.0", port: l.port };
    groups.set(groupKey, { key: `${gateway}:${l.port}/${kind}`, gateway, port: l.port, kind, listeners: [l], bind });
  }
  const plans = [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { plans, notes };
}

/** Condition types in the order that names the cause of a listener not being programmed. */
const CAUSES: readonly [type: string, bad: string][] = [["Conflicted", "True"], ["Accepted", "False"], ["ResolvedRefs", "False"], ["Programmed", "False"]];

/**
 * Why a listener gets no socket, where it is written: its status conditions as `gwsim status` has
 * them (the first of Conflicted, Accepted, ResolvedRefs, Programmed that is unhealthy). Without
 * it, a listener with a missing certificate Secret was silently not bound, and its clients got
 * "connection refused" with nothing said anywhere.
 */
export function notServed(world: World, l: ResolvedListener): string {
  const owner = l.listenerSet ?? l.gateway;
  const ownerKind = l.listenerSet ? "ListenerSet" : "Gateway";
  const item = world.graph.status.find((s) => s.kind === ownerKind && s.metadata.name === owner.name && (s.metadata.namespace ?? "") === owner.namespace);
  const listeners = (item?.status as { listeners?: { name: string; conditions?: { type: string; status: string; reason: string; message: string }[] }[] } | undefined)?.listeners;
  const conditions = listeners?.find((x) => x.name === l.name)?.conditions ?? [];
  const cause = CAUSES.map(([type, bad]) => conditions.find((c) => c.type === type && c.status === bad)).find((c) => c !== undefined);
  const why = cause ? `${cause.type}=${cause.type === "Conflicted" ? "True" : "False"} (${cause.reason}): ${cause.message}` : "not programmed (see `gwsim status`)";
  return `${where(world, ownerKind, owner, l.name)}listener ${owner.namespace}/${owner.name}/${l.name} (${l.protocol} port ${l.port}) is not served: ${why}`;
}

/** `file:line:col: ` of the listener in its manifest, or "" when not known. */
function where(world: World, kind: string, owner: { namespace: string; name: string }, listener: string): string {
  const obj = world.objects?.find((o) => o.kind === kind && o.metadata.name === owner.name && (o.metadata.namespace ?? "default") === owner.namespace);
  const source = obj ? sourceOf(obj) : undefined;
  if (!source) return "";
  const index = ((obj!.spec as { listeners?: { name?: string }[] } | undefined)?.listeners ?? []).findIndex((x) => x?.name === listener);
  const [line, column] = source.fields[`spec.listeners[${index}]`] ?? [source.line, source.column];
  return `${source.file}:${line}:${column}: `;
}
