import { createWriteStream, type WriteStream } from "node:fs";
import { resolve } from "node:path";
import type { EventEmitter } from "node:events";
import { buildWorld, decide, ENDPOINT_IP_RANGE, type CompiledRoute, type CompiledRule, type Diagnostic, type ManifestObject, type RouteTable, type World } from "@gwsim/core";
import { buildOptionsFrom, FILE_FLAG, requireFiles, WORLD_FLAGS } from "./common.js";
import { formatDiagnostic, formatDiagnostics, sortDiagnostics } from "./diagnostics.js";
import { intFlag, listFlag, parseFlags, type CommandSpec, type FlagValues } from "./flags.js";
import { UsageError, type ExitCode, type Io } from "./io.js";
import { checkInput, checkOutput, ioReason } from "./paths.js";
import { loadManifests } from "../load/manifests.js";
import { ListenError, parseDuration, type BoundFrontend, parseEndpointsFile, parseListen, startServe, unknownListen, type BindAddress, type EndpointTable, type LiveGateway } from "../serve/index.js";
import { watchPaths } from "../serve/reload.js";
import { addressesOf, backendKey } from "../serve/endpoints.js";
import { fixedLine, warningChanges } from "../serve/warnings.js";
import { unusedEndpoints } from "../serve/endpoint-usage.js";

export const serveSpec: CommandSpec = {
  name: "serve",
  summary: "serve real traffic for the Gateways in the manifests (the live adapter)",
  usage: "gwsim serve -f MANIFESTS [--listen PORT=ADDR:PORT ...] [--endpoints FILE] [--admin ADDR:PORT] [--record FILE]",
  description:
    "Opens a socket for each ready listener (HTTP/1.1 and h2c; HTTPS with the certificates of its Secrets, " +
    "SNI selecting one and ALPN offering h2; a listener that is not programmed, e.g. for a missing Secret, is " +
    "named on stderr with the condition that says why), decides every request with the same core as `gwsim route`, and " +
    "forwards it to an endpoint of the backend the decision picked. Endpoints come from EndpointSlices in the " +
    "manifests or --endpoints (a YAML/JSON map from namespace/service:port to a list of host:port). Prints " +
    "`gwsim: ready` on stdout once every listener accepts connections, after a warning on stderr for each invalid " +
    "backendRef of a served route (its share of requests answers 500), each backend that has no endpoints (its " +
    "requests would answer 503) and each --endpoints entry no route uses (with the backend it likely meant). " +
    "Reloads when a manifest file changes or " +
    "on SIGHUP (a configuration that does not load, or whose listeners cannot all be opened, leaves the old one " +
    "in force, whole), printing only the warnings it adds and those it fixed; SIGTERM drains and exits.",
  flags: [
    FILE_FLAG,
    { name: "listen", short: "l", type: "string", multiple: true, value: "PORT=ADDR:PORT", description: "bind the listeners of PORT (or NS/GATEWAY:PORT) to ADDR:PORT instead of 0.0.0.0:PORT; an entry that names no listener is a usage error" },
    { name: "endpoints", short: "e", type: "string", value: "FILE", description: "backend addresses: namespace/service:port → [host:port, ...] (wins over EndpointSlices)" },
    { name: "admin", type: "string", value: "ADDR:PORT", description: "serve /healthz, /readyz, /metrics and /config there" },
    { name: "record", type: "string", value: "FILE", description: "append each request, its decision and what was observed as JSON Lines (a trace replay reads)" },
    { name: "access-log", type: "string", value: "FILE", description: "write the JSON access log there instead of stderr" },
    { name: "no-access-log", type: "boolean", description: "write no access log" },
    { name: "seed", type: "string", value: "N", description: "seed of the weighted draws (default 1); each request's index is its arrival order" },
    { name: "drain-timeout", type: "string", value: "DURATION", description: "how long SIGTERM waits for requests in flight (default 30s)" },
    { name: "no-watch", type: "boolean", description: "reload on SIGHUP only, not when manifest files change" },
    ...WORLD_FLAGS,
  ],
  examples: [
    "gwsim serve -f packages/examples/world --listen 80=127.0.0.1:8080 --listen 443=127.0.0.1:8443 --endpoints endpoints.yaml",
    "gwsim serve -f manifests/ --admin 127.0.0.1:9901 --record live.jsonl   # then: gwsim replay -f manifests/ --trace live.jsonl",
  ],
};

interface Loaded {
  world: World;
  objects: ManifestObject[];
  endpoints: EndpointTable;
  /** Problems that make a reload refuse the new configuration. */
  errors: Diagnostic[];
  /** Everything worth printing. */
  shown: Diagnostic[];
  unreadable: boolean;
}

function parseAddress(flag: string, value: string): BindAddress {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]*):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--${flag} ${JSON.stringify(value)}: expected ADDR:PORT`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, "$1") || "0.0.0.0", port: Number(m[2]) };
}

/**
 * An EndpointSlice address the API server refuses (loopback, link-local): serve's backends run on
 * this machine, so it is what a local setup names; said, and used, not a reason to refuse a load.
 */
function localEndpoint(d: Diagnostic): Diagnostic {
  if (d.code !== ENDPOINT_IP_RANGE || d.severity !== "error") return d;
  return { ...d, severity: "warning", message: `${d.message} (the API server would refuse it; serve uses it)` };
}

async function load(files: string[], endpointsFile: string | null, values: FlagValues, io: Io): Promise<Loaded> {
  const loaded = await loadManifests(files, io);
  const world = buildWorld(loaded.objects, buildOptionsFrom(values, loaded));
  let endpoints: EndpointTable = new Map();
  const endpointProblems: Diagnostic[] = [];
  if (endpointsFile) {
    try {
      const parsed = parseEndpointsFile(await io.readFile(resolve(io.cwd, endpointsFile)), endpointsFile);
      endpoints = parsed.table;
      for (const p of parsed.problems) endpointProblems.push({ code: "serve.endpoints", severity: "error", file: endpointsFile, line: p.line ?? 1, column: p.column ?? 1, path: "", message: p.message });
      // A key no route names is most likely a typo (its backend then has no endpoints): said, not refused.
      for (const p of unusedEndpoints(world.table, parsed.table, endpointsFile, parsed.positions)) {
        endpointProblems.push({ code: "serve.endpoints-unused", severity: "warning", file: endpointsFile, line: p.line ?? 1, column: p.column ?? 1, path: "", message: p.message });
      }
    } catch (e) {
      loaded.unreadable.push({ code: "io.unreadable", severity: "error", file: endpointsFile, line: 0, column: 0, path: "", message: `cannot read ${endpointsFile}: ${ioReason(e)}` });
    }
  }
  const all = [...loaded.unreadable, ...loaded.diagnostics, ...world.diagnostics.map(localEndpoint), ...endpointProblems];
  return {
    world,
    objects: loaded.objects,
    endpoints,
    errors: all.filter((d) => d.severity === "error"),
    shown: all.filter((d) => d.severity !== "info"),
    unreadable: loaded.unreadable.length > 0,
  };
}

/** Buffered text beyond this is written at once rather than after BATCH_MS. */
const BATCH_LIMIT = 64 * 1024;
/** How long a log line may wait to be written with others (nginx's access_log `flush=` idea). */
const BATCH_MS = 50;

/**
 * Lines collected and written together at most BATCH_MS later: one write for many requests
 * instead of one write (a system call, for stderr) per request.
 */
function batched(write: (text: string) => void): { write: (line: string) => void; flush: () => void } {
  let pending: string[] = [];
  let size = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    size = 0;
    write(text);
  };
  return {
    write(line) {
      pending.push(line);
      size += line.length;
      if (size >= BATCH_LIMIT) flush();
      else if (!scheduled) {
        scheduled = true;
        setTimeout(flush, BATCH_MS).unref();
      }
    },
    flush,
  };
}

/**
 * Bytes a log file may have waiting to be written. A file that does not keep up (a slow disk, a
 * pipe nobody reads) must not grow serve's memory without bound: past this, an access log drops
 * lines (counted), and a record stops for good, since its line n must be request n (replay
 * pairs them by index) and a record with holes would pair every later line wrongly.
 */
export const LOG_BACKLOG_LIMIT = 64 * 1024 * 1024;

export function openLog(path: string, io: Io, onBacklog: "drop" | "stop", limit = LOG_BACKLOG_LIMIT): { write: (line: string) => void; close: () => Promise<void> } {
  const stream: WriteStream = createWriteStream(resolve(io.cwd, path), { flags: "a" });
  stream.on("error", (e) => io.stderr(`gwsim: ${path}: ${e.message}\n`));
  let dropped = 0;
  let stopped = false;
  const lines = batched((text) => void stream.write(text));
  const write = (line: string): void => {
    if (stopped) return;
    if (stream.writableLength <= limit) return lines.write(line);
    if (onBacklog === "stop") {
      stopped = true;
      lines.flush();
      io.stderr(`gwsim: ${path}: recording stopped: the file did not keep up (over ${limit} bytes waiting); it holds the requests before this one, in order\n`);
      return;
    }
    if (dropped++ === 0) io.stderr(`gwsim: ${path}: the file does not keep up (over ${limit} bytes waiting): dropping access log lines until it does\n`);
  };
  return {
    write,
    close: () => {
      lines.flush();
      if (dropped) io.stderr(`gwsim: ${path}: ${dropped} access log line(s) dropped while the file did not keep up\n`);
      return new Promise((r) => stream.end(() => r()));
    },
  };
}

export async function serveCommand(argv: string[], io: Io, options: { signals?: EventEmitter } = {}): Promise<ExitCode> {
  const { values } = parseFlags(serveSpec, argv);
  const files = requireFiles(listFlag(values, "file"));
  const listen = parseListen(listFlag(values, "listen"));
  if (listen.error) throw new UsageError(listen.error);
  const admin = typeof values.admin === "string" ? parseAddress("admin", values.admin) : null;
  const seed = intFlag(values, "seed", 1);
  const drainMs = typeof values["drain-timeout"] === "string" ? parseDuration(values["drain-timeout"]) : 30_000;
  if (drainMs === null) throw new UsageError(`--drain-timeout ${JSON.stringify(values["drain-timeout"])}: expected a duration such as 30s or 500ms`);
  const endpointsFile = typeof values.endpoints === "string" ? values.endpoints : null;
  // Files are checked before any socket opens: a typo in --record must not serve unrecorded traffic.
  if (endpointsFile) await checkInput(io, endpointsFile);
  for (const flag of ["record", "access-log"]) {
    const out = values[flag];
    if (typeof out === "string" && !(flag === "access-log" && values["no-access-log"])) await checkOutput(io, out);
  }

  const first = await load(files, endpointsFile, values, io);
  if (first.shown.length) io.stderr(formatDiagnostics(first.shown));
  if (first.unreadable || first.errors.some((d) => d.code === "serve.endpoints")) return 2;
  // Checked before any socket opens, as --gateway is for the other commands.
  const stray = unknownListen(first.world, listen.map);
  if (stray) throw new UsageError(stray);

  const record = typeof values.record === "string" ? openLog(values.record, io, "stop") : null;
  const accessFile = typeof values["access-log"] === "string" && !values["no-access-log"] ? openLog(values["access-log"], io, "drop") : null;
  const stderrLog = values["no-access-log"] || accessFile ? null : batched((text) => io.stderr(text));
  const accessLog = values["no-access-log"] ? null : accessFile ? accessFile.write : stderrLog!.write;

  let gw: LiveGateway;
  try {
    gw = await startServe({
      world: first.world,
      objects: first.objects,
      endpoints: first.endpoints,
      listen: listen.map,
      decide,
      seed,
      admin,
      log: (t) => io.stderr(t),
      accessLog,
      record: record ? record.write : null,
    });
  } catch (e) {
    if (!(e instanceof ListenError)) throw e;
    io.stderr(`gwsim: ${e.message}\n`);
    await record?.close();
    await accessFile?.close();
    return 2;
  }
  const bound = gw.addresses();
  if (bound.length === 0) io.stderr("gwsim: no ready listener to serve (see `gwsim status`)\n");
  for (const b of bound) io.stderr(`${listeningLine(b, gw.snapshot().world)}\n`);
  const adminAddress = gw.adminAddress();
  if (adminAddress) io.stderr(`gwsim: admin on http://${formatAddress(adminAddress)}/\n`);
  const servedWarnings = () => {
    const open = new Set(gw.addresses().map((b) => `${b.gateway}:${b.port}`));
    return endpointWarnings(gw.snapshot().world.table, gw.snapshot().endpoints, open).map((w) => `gwsim: warning: ${w}\n`);
  };
  // The warnings of the configuration in force, as printed: a reload prints only what it adds
  // (and what it fixed), not every warning again on each save.
  const startWarnings = servedWarnings();
  for (const line of startWarnings) io.stderr(line);
  let said = [...warningLines(first.shown), ...startWarnings];

  // Reloads run one at a time; a trigger during a reload runs once more after it.
  let reloading: Promise<void> = Promise.resolve();
  let pending = false;
  const reload = (why: string) => {
    if (pending) return;
    pending = true;
    reloading = reloading.then(async () => {
      pending = false;
      const next = await load(files, endpointsFile, values, io);
      const added = new Set(warningChanges(said, warningLines(next.shown)).added);
      const newWarnings = (d: Diagnostic) => d.severity !== "warning" || added.has(`${formatDiagnostic(d)}\n`);
      if (next.errors.length) {
        io.stderr(formatDiagnostics(next.shown.filter(newWarnings)));
        io.stderr(`gwsim: reload (${why}) refused: ${next.errors.length} problem(s); generation ${gw.snapshot().generation} stays in force\n`);
        // /config's lastReload says what is wrong, as stderr did, not only how much.
        gw.reloadFailed(formatDiagnostics(next.errors).split("\n").filter((l) => l !== "").map((l) => l.replace(/^gwsim: /, "")));
        return;
      }
      io.stderr(formatDiagnostics(next.shown.filter(newWarnings)));
      const before = gw.addresses();
      const result = await gw.reload(next.world, next.objects, next.endpoints);
      if (!result.applied) {
        io.stderr(`gwsim: reload (${why}) failed: ${result.problems.length} listener(s) cannot be opened; generation ${gw.snapshot().generation} stays in force\n`);
        return;
      }
      io.stderr(`gwsim: reloaded (${why}): generation ${gw.snapshot().generation}\n`);
      for (const line of frontendChanges(before, gw.addresses(), gw.snapshot().world)) io.stderr(`${line}\n`);
      const diagnostics = warningLines(next.shown);
      const served = servedWarnings();
      const changes = warningChanges(said, [...diagnostics, ...served]);
      for (const line of warningChanges(said, served).added) io.stderr(line);
      for (const line of changes.fixed) io.stderr(fixedLine(line));
      said = [...diagnostics, ...served];
    }).catch((e: unknown) => {
      gw.reloadFailed([(e as Error)?.message ?? String(e)]);
      io.stderr(`gwsim: reload (${why}) failed: ${(e as Error)?.message ?? String(e)}\n`);
    });
  };
  const watched = values["no-watch"] ? [] : files.filter((f) => f !== "-").map((f) => resolve(io.cwd, f));
  if (endpointsFile && !values["no-watch"]) watched.push(resolve(io.cwd, endpointsFile));
  const unwatch = await watchPaths(watched, () => reload("files changed"));

  const signals = options.signals ?? process;
  const onHup = () => reload("SIGHUP");
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onTerm = () => stop();
  signals.on("SIGHUP", onHup);
  signals.on("SIGTERM", onTerm);
  signals.on("SIGINT", onTerm);
  // Ready once reloads are armed: a SIGHUP or an edit right after it is not lost.
  io.stdout("gwsim: ready\n");
  await stopped;
  signals.off("SIGHUP", onHup);
  signals.off("SIGTERM", onTerm);
  signals.off("SIGINT", onTerm);
  unwatch();
  io.stderr(`gwsim: draining ${gw.requestsInFlight} request(s) in flight\n`);
  await reloading;
  await gw.close({ drainMs });
  await record?.close();
  await accessFile?.close();
  stderrLog?.flush();
  io.stderr("gwsim: stopped\n");
  return 0;
}

/** The printed lines of the warnings (not errors, not notes) among `shown`. */
function warningLines(shown: readonly Diagnostic[]): string[] {
  return sortDiagnostics(shown.filter((d) => d.severity === "warning")).map((d) => `${formatDiagnostic(d)}\n`);
}

/**
 * `gwsim: listening ns/gw port 443 (tls) on 127.0.0.1:8443 for secure (HTTPS *.example.com), ...`:
 * what is served where, down to the listeners a socket carries (the start of the line is what
 * scripts read; the listener list follows it).
 */
export function listeningLine(b: BoundFrontend, world: World): string {
  const listeners = world.graph.listeners.filter(
    (l) => l.ready && `${l.gateway.namespace}/${l.gateway.name}` === b.gateway && l.port === b.port && (l.protocol === "UDP") === (b.kind === "udp"),
  );
  const described = listeners.map((l) => {
    const name = l.listenerSet ? `${l.listenerSet.namespace}/${l.listenerSet.name}/${l.name}` : l.name;
    const mode = l.tls?.mode === "Passthrough" ? " passthrough" : "";
    const host = l.protocol === "TCP" || l.protocol === "UDP" ? "" : ` ${l.hostname ?? "any host"}`;
    return `${name} (${l.protocol}${mode}${host})`;
  });
  return `gwsim: listening ${b.gateway} port ${b.port} (${b.kind}) on ${formatAddress(b.address)}${described.length ? ` for ${described.join(", ")}` : ""}`;
}

/** After a reload: the sockets it opened (with their listeners) and the ones it closed. */
export function frontendChanges(before: readonly BoundFrontend[], after: readonly BoundFrontend[], world: World): string[] {
  const id = (b: BoundFrontend) => `${b.key}@${formatAddress(b.address)}`;
  const was = new Set(before.map(id));
  const now = new Set(after.map(id));
  return [
    ...before.filter((b) => !now.has(id(b))).map((b) => `gwsim: stopped listening ${b.gateway} port ${b.port} (${b.kind}) on ${formatAddress(b.address)}`),
    ...after.filter((b) => !was.has(id(b))).map((b) => listeningLine(b, world)),
  ];
}

function formatAddress(a: BindAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Backends that routes on a served listener send to but that have no endpoints (neither in
 * --endpoints nor in an EndpointSlice): their requests will answer 503. Said at start and after
 * a reload that brings them (not again while they stand), so a missing entry is not found only by
 * the first 503. Valid Service backends
 * with weight only (an XBackend needs none). Invalid backendRefs with weight come first: their
 * share answers 500, which a reload that broke a ref would otherwise show only in traffic.
 */
export function endpointWarnings(table: RouteTable, endpoints: Parameters<typeof addressesOf>[0], served: ReadonlySet<string>): string[] {
  const seen = new Map<string, string>();
  const invalid = new Map<string, string>();
  const visit = (routes: readonly CompiledRoute[], rules: readonly CompiledRule[], indices: readonly number[]) => {
    for (const ri of indices) {
      const route = routes[ri]!;
      for (const rule of route.rules.map((i) => rules[i]!)) {
        if (rule.dropped !== null) continue;
        const where = `${route.kind} ${route.namespace}/${route.name} rule ${rule.index}${rule.name ? ` (${rule.name})` : ""}`;
        rule.backends.forEach((b, i) => {
          // The core answers 500 for an invalid backendRef's share: said once, as `gwsim status` would.
          if (b.valid || b.weight === 0) return;
          const share = b.probability === 1 ? "its requests" : `${formatShare(b.probability)} of its requests`;
          // resolve's message already starts "rule N (name) backendRef M: ..."
          const what = b.message?.startsWith("rule ") ? `${route.kind} ${route.namespace}/${route.name} ${b.message}` : `${where} backendRef ${i}: ${b.message ?? "invalid"}`;
          invalid.set(`${where} backendRef ${i}`, `${what}${b.reason ? ` (${b.reason})` : ""}: ${share} will answer 500`);
        });
        for (const b of rule.backends) {
          if (!b.valid || b.weight === 0 || b.kind === "XBackend" || addressesOf(endpoints, b).length > 0) continue;
          const key = backendKey(b);
          if (!seen.has(key)) seen.set(key, `${route.kind} ${route.namespace}/${route.name} rule ${rule.index}${rule.name ? ` (${rule.name})` : ""}`);
        }
      }
    }
  };
  for (const l of table.listeners) {
    if (!served.has(`${l.gateway}:${l.port}`)) continue;
    visit(table.routes, table.rules, l.routes);
    visit(table.grpcRoutes, table.grpcRules, l.grpc.routes);
    visit(table.streamRoutes, table.streamRules, l.streams.routes);
  }
  const byKey = ([a]: [string, string], [b]: [string, string]) => (a < b ? -1 : a > b ? 1 : 0);
  return [
    ...[...invalid].sort(byKey).map(([, text]) => text),
    ...[...seen].sort(byKey).map(([key, where]) => `no endpoints for ${key} (a backend of ${where}): its requests will answer 503; list it in --endpoints or add an EndpointSlice`),
  ];
}

function formatShare(p: number): string {
  const pct = p * 100;
  return `${pct >= 1 ? Number(pct.toFixed(1)) : Number(pct.toPrecision(2))}%`;
}
