import type { Diagnostic } from "./model/diagnostic.js";
import type { GatewayRequest } from "./model/request.js";
import type { Decision } from "./model/decision.js";
import type { ForeignObject, ManifestObject } from "./manifest/object.js";
import type { Graph, StatusItem } from "./resolve/graph.js";
import { admitObjects } from "./manifest/parse.js";
import { validateObjects } from "./schema/validate.js";
import { resolve } from "./resolve/index.js";
import { statusList } from "./resolve/index.js";
import { compile, type RouteTable } from "./compile/index.js";
import { decide as decideOnTable, type DecideOptions } from "./decide/index.js";

export interface BuildOptions {
  /** Act only for GatewayClasses whose spec.controllerName is this; all classes when unset. */
  controllerName?: string;
  /**
   * Hostname precedence reading: by default only the routes of the most specific matching hostname
   * compete (Envoy- and nginx-based data planes); true lets less specific hostnames take the paths
   * the most specific one does not match. See docs/decisions.md.
   */
  hostnameFallthrough?: boolean;
  /**
   * Claim the Extended feature TLSRouteModeMixed: TLS Terminate and Passthrough listeners may share
   * a port (told apart by SNI). Off by default: they conflict. See docs/decisions.md.
   */
  tlsRouteModeMixed?: boolean;
  /**
   * Objects of kinds gwsim does not read that came with the manifests (parseManifests'
   * `skipped`); objects given to buildWorld itself are added. A parametersRef to one is accepted.
   */
  foreignObjects?: readonly ForeignObject[];
}

/** Everything gwsim knows about one set of manifests: resolved, compiled, immutable. */
export interface World {
  readonly graph: Graph;
  readonly table: RouteTable;
  /**
   * Problems of the objects on the way in: for objects not from parseManifests, the same manifest
   * checks it makes (duplicates, unread kinds, missing names); then schema violations of the objects
   * that were dropped or defaulted.
   */
  readonly diagnostics: readonly Diagnostic[];
  readonly options: BuildOptions;
  /** The objects the world was built from, after those checks (lint and the testing kit read positions and grants from them). */
  readonly objects: readonly ManifestObject[];
}

/**
 * CONTRACT's buildWorld: compile(resolve(validate(admit(objects)))). Invalid objects are left out.
 * Objects read from text already passed admission (it is idempotent); objects given as data (e.g.
 * JSON.parse'd kubectl output) get the same checks here, so both paths report the same problems.
 */
export function buildWorld(objects: readonly ManifestObject[], options: BuildOptions = {}): World {
  const admitted = admitObjects(objects);
  const validated = validateObjects(admitted.objects);
  const foreignObjects = [...(options.foreignObjects ?? []), ...admitted.skipped];
  const graph = resolve(validated.resources, { ...options, foreignObjects });
  const table = compile(graph);
  // Immutable as CONTRACT.md says: decide reads options (hostnameFallthrough) at every call, so an
  // unfrozen copy would let a write after buildWorld change the world's decisions.
  const diagnostics = Object.freeze([...admitted.diagnostics, ...validated.diagnostics].map((d) => Object.freeze({ ...d })));
  return Object.freeze({ graph, table, diagnostics, options: Object.freeze({ ...options }), objects: Object.freeze(admitted.objects) });
}

/** CONTRACT's decide: pure; the same world, request, seed and index always give the same decision. */
export function decide(world: World, request: GatewayRequest, options: DecideOptions = {}): Decision {
  return decideOnTable(world, request, options);
}

/** The `gwsim status --json` List. */
export function statusOf(world: World): { apiVersion: "v1"; kind: "List"; items: StatusItem[] } {
  return statusList(world.graph);
}
