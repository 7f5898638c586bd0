import { buildWorld, type BuildOptions, type ForeignObject, type GatewayRequest, type ManifestObject, type World } from "@gwsim/core";
import { formatDiagnostics } from "./diagnostics.js";
import type { FlagSpec, FlagValues } from "./flags.js";
import { listFlag } from "./flags.js";
import { UsageError, type Io } from "./io.js";
import { loadManifests } from "../load/manifests.js";

export const FILE_FLAG: FlagSpec = {
  name: "file",
  short: "f",
  type: "string",
  multiple: true,
  value: "PATH",
  description: "a YAML/JSON file, a directory (read recursively) or - for stdin",
  stdin: true,
};

export const CONTROLLER_FLAG: FlagSpec = {
  name: "controller-name",
  type: "string",
  value: "NAME",
  description: "act only for GatewayClasses with this spec.controllerName (default: every class)",
};

export const FALLTHROUGH_FLAG: FlagSpec = {
  name: "hostname-fallthrough",
  type: "boolean",
  description: "let less specific route hostnames take requests the most specific one does not match (default: exclusive, as Envoy and nginx data planes)",
};

export const TLS_MIXED_FLAG: FlagSpec = {
  name: "tls-route-mode-mixed",
  type: "boolean",
  description: "let TLS Terminate and Passthrough listeners share a port (the Extended feature TLSRouteModeMixed; default: they conflict)",
};

/** The flags that change how the world is built; every command that builds one takes them all. */
export const WORLD_FLAGS: FlagSpec[] = [CONTROLLER_FLAG, FALLTHROUGH_FLAG, TLS_MIXED_FLAG];

/** BuildOptions from WORLD_FLAGS, and the objects of kinds gwsim skipped when `loaded` is given. */
export function buildOptionsFrom(values: FlagValues, loaded?: { skipped?: readonly ForeignObject[] }): BuildOptions {
  const options: BuildOptions = {};
  if (loaded?.skipped?.length) options.foreignObjects = loaded.skipped;
  if (typeof values["controller-name"] === "string") options.controllerName = values["controller-name"];
  if (values["hostname-fallthrough"]) options.hostnameFallthrough = true;
  if (values["tls-route-mode-mixed"]) options.tlsRouteModeMixed = true;
  return options;
}

export function requireFiles(files: string[]): string[] {
  if (files.length === 0) throw new UsageError("no manifests given: pass -f PATH (a file, a directory, or - for stdin)");
  return files;
}

/**
 * Loads manifests and builds the world. Unreadable paths end the command (exit 2); problems inside
 * documents are reported on stderr and the rest still load.
 */
export async function loadWorld(values: FlagValues, io: Io): Promise<World | null> {
  return (await loadWorldAndObjects(values, io, "file"))?.world ?? null;
}

/** As loadWorld, also returning the objects (worker threads rebuild the world from them). */
export async function loadWorldAndObjects(
  values: FlagValues,
  io: Io,
  flag = "file",
): Promise<{ world: World; objects: ManifestObject[] } | null> {
  const files = requireFiles(listFlag(values, flag));
  const loaded = await loadManifests(files, io);
  if (loaded.unreadable.length) {
    io.stderr(formatDiagnostics(loaded.unreadable));
    return null;
  }
  const world = buildWorld(loaded.objects, buildOptionsFrom(values, loaded));
  const problems = [...loaded.diagnostics, ...world.diagnostics].filter((d) => d.severity !== "info");
  if (problems.length) io.stderr(formatDiagnostics(problems));
  return { world, objects: loaded.objects };
}

export interface EntryDefaults {
  gateway?: string;
}

/** Gateways a request may enter: those gwsim acts for, and any other the manifests declare. */
function gatewayNames(world: World): string[] {
  const names = new Set<string>((world.graph.gateways ?? []).map((g) => `${g.namespace}/${g.name}`));
  for (const l of world.graph.listeners) names.add(`${l.gateway.namespace}/${l.gateway.name}`);
  for (const o of world.objects) if (o.kind === "Gateway") names.add(`${o.metadata?.namespace ?? "default"}/${o.metadata?.name}`);
  return [...names].sort();
}

/** `--gateway NS/NAME` names a Gateway of one of the worlds (whatif: the current or the proposed). */
export function checkGatewayFlag(gateway: string, worlds: readonly World[]): void {
  if (!/^[^/\s]+\/[^/\s]+$/.test(gateway)) throw new UsageError(`--gateway ${JSON.stringify(gateway)}: must be namespace/name`);
  const names = [...new Set(worlds.flatMap(gatewayNames))].sort();
  if (!names.includes(gateway)) {
    throw new UsageError(`--gateway ${gateway}: no such Gateway in the manifests (${names.length ? `Gateways: ${names.join(", ")}` : "they declare none"})`);
  }
}

/**
 * Requests that name no entry point go to --gateway, else to the only Gateway of the world.
 * `also`: other worlds whose Gateways --gateway may name (whatif's proposed manifests).
 */
export function entryDefaults(world: World, gateway: string | undefined, also: readonly World[] = []): EntryDefaults {
  if (gateway) {
    checkGatewayFlag(gateway, [world, ...also]);
    return { gateway };
  }
  const gateways = new Set(world.graph.listeners.map((l) => `${l.gateway.namespace}/${l.gateway.name}`));
  return gateways.size === 1 ? { gateway: [...gateways][0]! } : {};
}

export function withDefaults(request: GatewayRequest, defaults: EntryDefaults): GatewayRequest {
  if (request.gateway || request.service || request.address || !defaults.gateway) return request;
  return { ...request, gateway: defaults.gateway };
}
