/**
 * Where each backend's traffic may go: `namespace/service:port` → addresses. Built from the
 * EndpointSlices in the manifests (as kube-proxy and every Gateway data plane read them) or from
 * an `--endpoints` file. The adapter sends traffic only to addresses listed here, for the
 * backend the core picked.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import type { BackendId, ManifestObject, ResolvedService } from "@gwsim/core";

/** Addresses (`host:port`, IPv6 as `[::1]:80`) by backend key. */
export type EndpointTable = ReadonlyMap<string, readonly string[]>;

export function backendKey(b: Pick<BackendId, "namespace" | "name" | "port">): string {
  return `${b.namespace}/${b.name}:${b.port ?? ""}`;
}

/**
 * The addresses of a decided backend: an XBackend's external hostname and port (resolved by DNS
 * when the connection is made, GEP-4894), else the backend's endpoints. XBackends never read the
 * endpoint table: a Service of the same namespace, name and port keeps its own endpoints.
 */
export function addressesOf(endpoints: EndpointTable, b: Pick<BackendId, "kind" | "namespace" | "name" | "port" | "hostname">): readonly string[] {
  if (b.kind === "XBackend" && typeof b.hostname === "string" && b.port !== null) return [formatAddress(b.hostname, b.port)];
  return endpoints.get(backendKey(b)) ?? [];
}

export interface EndpointProblem {
  file?: string;
  message: string;
  /** 1-based position of the entry (or address) at fault in an `--endpoints` file. */
  line?: number;
  column?: number;
}

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

interface SlicePort {
  name: string;
  port: number;
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function formatAddress(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Endpoints from EndpointSlices. A backendRef names a Service port; the slice's port with the
 * same name as that Service port carries the target port (discovery.k8s.io/v1 EndpointPort:
 * "must match the name of the Service port"). Endpoints whose `conditions.ready` is false are
 * left out; an absent `ready` counts as ready, as the EndpointConditions doc says consumers
 * should. Services of type ExternalName resolve to their externalName.
 */
export function endpointsFromManifests(objects: readonly ManifestObject[], services: readonly ResolvedService[]): {
  table: Map<string, string[]>;
  problems: EndpointProblem[];
} {
  const table = new Map<string, string[]>();
  const problems: EndpointProblem[] = [];
  const serviceByKey = new Map(services.map((s) => [`${s.namespace}/${s.name}`, s]));
  for (const obj of objects) {
    if (obj.kind !== "EndpointSlice") continue;
    const namespace = obj.metadata.namespace ?? "default";
    const serviceName = obj.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!serviceName) {
      problems.push({ message: `EndpointSlice ${namespace}/${obj.metadata.name}: no ${SERVICE_NAME_LABEL} label, ignored` });
      continue;
    }
    const ports: SlicePort[] = [];
    for (const p of Array.isArray(obj.ports) ? obj.ports : []) {
      const r = asRecord(p);
      if (r && typeof r.port === "number") ports.push({ name: typeof r.name === "string" ? r.name : "", port: r.port });
    }
    const hosts: string[] = [];
    for (const e of Array.isArray(obj.endpoints) ? obj.endpoints : []) {
      const r = asRecord(e);
      if (!r) continue;
      if (asRecord(r.conditions)?.ready === false) continue;
      for (const a of Array.isArray(r.addresses) ? r.addresses : []) if (typeof a === "string" && a) hosts.push(a);
    }
    const service = serviceByKey.get(`${namespace}/${serviceName}`);
    const servicePorts = service?.ports ?? [];
    for (const sp of servicePorts) {
      const slicePort = ports.find((p) => p.name === (sp.name ?? "")) ?? (ports.length === 1 && servicePorts.length === 1 ? ports[0] : undefined);
      if (!slicePort) continue;
      add(table, `${namespace}/${serviceName}:${sp.port}`, hosts.map((h) => formatAddress(h, slicePort.port)));
    }
    if (!service) {
      // Without the Service the port names cannot be mapped: take each slice port as the Service port.
      for (const p of ports) add(table, `${namespace}/${serviceName}:${p.port}`, hosts.map((h) => formatAddress(h, p.port)));
    }
  }
  for (const s of services) {
    if (s.type !== "ExternalName" || !s.externalName) continue;
    for (const p of s.ports) {
      const key = `${s.namespace}/${s.name}:${p.port}`;
      if (!table.has(key)) table.set(key, [formatAddress(s.externalName, p.port)]);
    }
  }
  return { table, problems };
}

function add(table: Map<string, string[]>, key: string, addresses: string[]): void {
  const list = table.get(key) ?? [];
  for (const a of addresses) if (!list.includes(a)) list.push(a);
  table.set(key, list);
}

const KEY = /^[^/\s]+\/[^/\s:]+:\d{1,5}$/;
const ADDRESS = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s:[\]/]+):\d{1,5}$/;

/**
 * Parses an `--endpoints` file: a YAML or JSON map `namespace/service:port` → ["host:port", ...]
 * (one string for one address). Each problem has the line and column of the key or address at
 * fault, so the CLI prints `file:line:col` as for manifests. `positions` has where each entry's
 * key is, for warnings about an entry (one no route uses).
 */
export function parseEndpointsFile(
  text: string,
  file: string,
): { table: Map<string, string[]>; problems: EndpointProblem[]; positions: Map<string, { line: number; column: number }> } {
  const table = new Map<string, string[]>();
  const problems: EndpointProblem[] = [];
  const positions = new Map<string, { line: number; column: number }>();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (node: Node | null | undefined): { line?: number; column?: number } => {
    const offset = node?.range?.[0];
    if (offset === undefined) return {};
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const syntax = doc.errors[0];
  if (syntax) {
    const { line, col } = lines.linePos(syntax.pos[0]);
    return { table, problems: [{ file, line, column: col, message: `not YAML or JSON: ${syntax.message.split("\n")[0]}` }], positions };
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) return { table, problems, positions };
  if (!isMap(root)) return { table, problems: [{ file, ...at(root), message: "must be a map from namespace/service:port to a list of host:port" }], positions };
  for (const pair of root.items) {
    const keyNode = pair.key as Node | null;
    const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    if (!KEY.test(key)) {
      problems.push({ file, ...at(keyNode), message: `${JSON.stringify(key)}: key must be namespace/service:port` });
      continue;
    }
    const value = pair.value as Node | null;
    const items: (Node | null)[] | null = isScalar(value) && typeof value.value === "string" ? [value] : isSeq(value) ? (value.items as (Node | null)[]) : null;
    if (!items) {
      problems.push({ file, ...at(value ?? keyNode), message: `${key}: must be a list of host:port addresses` });
      continue;
    }
    const bad = items.map((n) => [n, addressProblem(n)] as const).find(([, p]) => p !== null);
    if (bad) {
      problems.push({ file, ...at(bad[0] ?? value), message: `${key}: ${bad[1]}` });
      continue;
    }
    table.set(key, [...new Set(items.map((n) => String((n as { value: unknown }).value)))]);
    const where = at(keyNode);
    if (where.line !== undefined && where.column !== undefined) positions.set(key, { line: where.line, column: where.column });
  }
  return { table, problems, positions };
}

/** Why one list item is no endpoint address, or null when it is one. */
function addressProblem(node: Node | null): string | null {
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value !== "string") return `${node === null ? "an empty item" : JSON.stringify(node.toJSON())} is not host:port`;
  if (!ADDRESS.test(value)) return `${JSON.stringify(value)} is not host:port`;
  if (!validPort(value)) return `${JSON.stringify(value)}: port must be 1-65535`;
  return null;
}

function validPort(address: string): boolean {
  const port = Number(address.slice(address.lastIndexOf(":") + 1));
  return port >= 1 && port <= 65535;
}

/** File entries win over EndpointSlices for the same backend. */
export function mergeEndpoints(...tables: ReadonlyMap<string, readonly string[]>[]): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const t of tables) for (const [k, v] of t) out.set(k, v);
  return out;
}

/** Round robin over each backend's endpoints; counters survive reloads so traffic stays spread. */
export class RoundRobin {
  private readonly next = new Map<string, number>();

  pick(key: string, addresses: readonly string[]): string | null {
    if (addresses.length === 0) return null;
    const i = this.next.get(key) ?? 0;
    this.next.set(key, (i + 1) % 1_000_000_007);
    return addresses[i % addresses.length]!;
  }

  /** Backends with a turn kept. */
  get size(): number {
    return this.next.size;
  }

  /** Forgets the backends not in `keys` (after a reload), so the map holds those in force only. */
  retainOnly(keys: ReadonlySet<string>): void {
    for (const key of this.next.keys()) if (!keys.has(key)) this.next.delete(key);
  }
}
