import { buildWorld, type GatewayRequest, type ManifestObject, type World } from "@gwsim/core";
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
  const controllerName = typeof values["controller-name"] === "string" ? values["controller-name"] : undefined;
  const world = buildWorld(loaded.objects, {
    ...(controllerName ? { controllerName } : {}),
    ...(values["hostname-fallthrough"] ? { hostnameFallthrough: true } : {}),
  });
  const problems = [...loaded.diagnostics, ...world.diagnostics].filter((d) => d.severity !== "info");
  if (problems.length) io.stderr(formatDiagnostics(problems));
  return { world, objects: loaded.objects };
}

export interface EntryDefaults {
  gateway?: string;
}

/** Requests that name no entry point go to --gateway, else to the only Gateway of the world. */
export function entryDefaults(world: World, gateway: string | undefined): EntryDefaults {
  if (gateway) return { gateway };
  const gateways = new Set(world.graph.listeners.map((l) => `${l.gateway.namespace}/${l.gateway.name}`));
  return gateways.size === 1 ? { gateway: [...gateways][0]! } : {};
}

export function withDefaults(request: GatewayRequest, defaults: EntryDefaults): GatewayRequest {
  if (request.gateway || request.service || request.address || !defaults.gateway) return request;
  return { ...request, gateway: defaults.gateway };
}
