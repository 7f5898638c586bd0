/**
 * A stand-in for `@gwsim/core` in replay tests: a world is a table from the first path segment
 * to a fixed rule, and decide draws the backend by weight from (seed, index) as the real one does.
 * Exports `buildWorld` and `decide` so worker threads can load it as their core module.
 */
import type { BackendShare, Decision, GatewayRequest, Mirror, RouteRef } from "@gwsim/core";
import { pickByUniform, seededUniform } from "../split.js";

export interface FakeRule {
  route: RouteRef;
  backends: { namespace?: string; name: string; port?: number; weight?: number; valid?: boolean }[];
  mirrors?: Mirror[];
  sessionPersistence?: unknown;
  /** Answer this (e.g. a redirect) instead of forwarding. */
  answer?: { outcome: Decision["outcome"]; status: number };
}

export type FakeWorld = Record<string, FakeRule>;

export function route(name: string, rule = 0, namespace = "ns"): RouteRef {
  return { kind: "HTTPRoute", namespace, name, rule, ruleName: null, match: 0 };
}

/** Objects for buildWorld: one `{ kind: "FakeRule", metadata: { name: "/seg" }, rule }` per entry. */
export function buildWorld(objects: readonly { metadata: { name: string }; rule?: FakeRule }[]): FakeWorld {
  const world: FakeWorld = {};
  for (const o of objects) if (o.rule) world[o.metadata.name] = o.rule;
  return world;
}

export function worldObjects(world: FakeWorld): { apiVersion: string; kind: string; metadata: { name: string }; rule: FakeRule }[] {
  return Object.entries(world).map(([name, rule]) => ({ apiVersion: "test/v1", kind: "FakeRule", metadata: { name }, rule }));
}

function empty(): Decision {
  return {
    outcome: "notFound",
    status: 404,
    listener: null,
    route: null,
    backend: null,
    backends: [],
    forwarded: null,
    redirect: null,
    responseHeaders: null,
    mirrors: [],
    timeouts: null,
    retry: null,
    sessionPersistence: null,
    backendTLS: null,
  };
}

export function decide(world: FakeWorld, request: GatewayRequest, options: { seed?: number; index?: number } = {}): Decision {
  const seg = `/${(request.path ?? "/").split(/[?#]/)[0]!.split("/")[1] ?? ""}`;
  const rule = world[seg];
  if (!rule) return empty();
  const d = empty();
  d.route = rule.route;
  if (rule.answer) return { ...d, outcome: rule.answer.outcome, status: rule.answer.status };
  const shares: BackendShare[] = rule.backends.map((b) => ({
    group: "",
    kind: "Service",
    namespace: b.namespace ?? rule.route.namespace,
    name: b.name,
    port: b.port ?? 8080,
    weight: b.weight ?? 1,
    probability: 0,
    valid: b.valid ?? true,
    reason: b.valid === false ? "BackendNotFound" : null,
  }));
  const total = shares.reduce((a, b) => a + b.weight, 0);
  for (const s of shares) s.probability = total ? s.weight / total : 0;
  const pick = pickByUniform(
    shares.map((s) => s.weight),
    total,
    seededUniform(options.seed ?? 0, options.index ?? 0, "fake-decide"),
  );
  if (pick < 0) return { ...d, outcome: "error", status: 500, backends: shares };
  const p = shares[pick]!;
  const backend = { group: p.group, kind: p.kind, namespace: p.namespace, name: p.name, port: p.port };
  return {
    ...d,
    outcome: p.valid ? "forward" : "error",
    status: p.valid ? null : 500,
    backend,
    backends: shares,
    mirrors: rule.mirrors ?? [],
    sessionPersistence: rule.sessionPersistence ?? null,
  };
}
