/**
 * The routing scenario loop shared by test/http-scenarios.test.ts and
 * test/route-kinds-scenarios.test.ts: each folder under a root is one behaviour, named after
 * the upstream conformance test it stands for (or `gwsim-...` for gwsim's own corners), with
 * `world.yaml` (manifests, loaded after the root's `_base.yaml`) and `cases.yaml` (requests and
 * the decision fields expected). The whole pipeline runs: parse → validate → resolve → compile
 * → decide.
 *
 * cases.yaml:
 *   upstream: <conformance test name>, or null for gwsim's own corners (then `about:` says what)
 *   defaults: <request fields merged into every request>
 *   options: <decide options for every case>   (hostnameFallthrough, seed, ...)
 *   build: <buildWorld options>                 (controllerName, tlsRouteModeMixed, ...)
 *   cases:
 *     - request: {...}
 *       options: {...}           # per case
 *       status: 404              # decision.status (null when forwarded)
 *       outcome: forward
 *       reason: NoMatchingRoute  # decision.reason
 *       grpcStatus: 12           # decision.grpcStatus (gRPC calls)
 *       backend: ns/name         # the picked backend (or null)
 *       route: ns/name[/rule/N]  # the matched route (and rule)
 *       kind: TLSRoute           # decision.route.kind
 *       backends: { ns/name: probability }   # the exact split
 *       expect: {...}            # any part of the decision (toMatchObject; forwarded header values compared comma-joined)
 *       explain: [regex, ...]    # each must match one explain line
 *       remove: [Kind/ns/name]   # decide in the world without these objects (e.g. a deleted grant)
 *       absent: [header, ...]    # headers the backend must not receive
 *       absentResponse: [header] # headers the client's response must not get (responseHeaders set/add)
 *       repeat: N                # decide for indices 0..N-1 (checks below apply to each)
 *       headerNamesBackend: h    # forwarded header h equals the picked backend's name
 *       shares: { ns/name: [min, max] }   # with repeat: the observed share of picks
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifestFiles } from "../packages/core/src/manifest/parse.js";
import { buildWorld, type BuildOptions } from "../packages/core/src/world.js";
import type { ResolveOptions } from "../packages/core/src/resolve/index.js";
import { decide } from "../packages/core/src/decide/index.js";
import type { Decision } from "../packages/core/src/model/decision.js";
import type { GatewayRequest } from "../packages/core/src/model/request.js";

// `yaml` is a dependency of @gwsim/core, not of the workspace root: load it from there.
const { parse } = createRequire(join(import.meta.dirname, "..", "packages", "core", "package.json"))("yaml") as { parse(text: string): unknown };

export interface Case {
  request: GatewayRequest;
  options?: Record<string, unknown>;
  status?: number | null;
  outcome?: string;
  reason?: string | null;
  grpcStatus?: number | null;
  backend?: string | null;
  route?: string | null;
  kind?: string;
  backends?: Record<string, number>;
  expect?: Record<string, unknown>;
  explain?: string[];
  remove?: string[];
  absent?: string[];
  absentResponse?: string[];
  repeat?: number;
  headerNamesBackend?: string;
  shares?: Record<string, [number, number]>;
}

export interface CaseFile {
  upstream: string | null;
  about?: string;
  defaults?: Partial<GatewayRequest>;
  options?: Record<string, unknown>;
  build?: BuildOptions & ResolveOptions;
  cases: Case[];
}

export function scenarioFolders(root: string): string[] {
  return readdirSync(root)
    .filter((f) => !f.startsWith("_") && statSync(join(root, f)).isDirectory())
    .sort();
}

function title(c: Case, i: number, defaults: Partial<GatewayRequest> = {}): string {
  const r = { ...defaults, ...c.request };
  const want =
    c.backend !== undefined && c.backend !== null ? c.backend : c.status !== undefined && c.status !== null ? String(c.status) : (c.outcome ?? "");
  const target = r.grpc ? `gRPC ${r.host ?? ""} ${r.grpc.service}/${r.grpc.method}` : `${r.method ?? "GET"} ${r.scheme ?? "http"}://${r.host ?? r.sni ?? ""}${r.port ? `:${r.port}` : ""}${r.path ?? "/"}`;
  const entry = r.service ? ` [${r.service}${r.from ? ` from ${r.from}` : ""}]` : r.address ? ` [${r.address}${r.from ? ` from ${r.from}` : ""}]` : "";
  return `#${i} ${target}${entry} → ${want}`;
}

/** Runs every scenario folder under `root` (one describe per folder). */
export function runScenarios(root: string): void {
  const base = { file: "_base.yaml", text: readFileSync(join(root, "_base.yaml"), "utf8") };
  describe.each(scenarioFolders(root))("%s", (folder) => {
    const dir = join(root, folder);
    const spec = parse(readFileSync(join(dir, "cases.yaml"), "utf8")) as CaseFile;
    const parsed = parseManifestFiles([base, { file: `${folder}/world.yaml`, text: readFileSync(join(dir, "world.yaml"), "utf8") }]);
    const worlds = new Map<string, ReturnType<typeof buildWorld>>();
    const worldWithout = (remove: string[] = []) => {
      const key = [...remove].sort().join(",");
      let w = worlds.get(key);
      if (!w) {
        const objects = parsed.objects.filter((o) => !remove.includes(`${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`));
        expect(parsed.objects.length - objects.length, `remove ${key}`).toBe(remove.length);
        worlds.set(key, (w = buildWorld(objects, spec.build ?? {})));
      }
      return w;
    };

    it("names its upstream test and loads without problems", () => {
      if (spec.upstream === null) expect(spec.about, "a gwsim-own scenario says what it is about").toBeTruthy();
      else expect(spec.upstream).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(parsed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(worldWithout().diagnostics.filter((d) => d.severity === "error"), "schema violations drop objects").toEqual([]);
    });

    it.each(spec.cases.map((c, i) => [title(c, i, spec.defaults), c] as const))("%s", (_title, c) => {
      const request = { ...spec.defaults, ...c.request } as GatewayRequest;
      const world = worldWithout(c.remove);
      const picks: Record<string, number> = {};
      const runs = c.repeat ?? 1;
      for (let index = 0; index < runs; index++) {
        const options = { seed: 0, index, ...spec.options, ...c.options, explain: true };
        if (c.repeat !== undefined) options.index = index;
        const d: Decision = decide(world, request, options);
        check(c, d);
        expect(leanPart(decide(world, request, { ...options, explain: false, lean: true })), "a lean decision agrees with the full one").toEqual(leanPart(d));
        if (d.backend) picks[`${d.backend.namespace}/${d.backend.name}`] = (picks[`${d.backend.namespace}/${d.backend.name}`] ?? 0) + 1;
      }
      for (const [backend, [min, max]] of Object.entries(c.shares ?? {})) {
        const share = (picks[backend] ?? 0) / runs;
        expect(share, `share of ${backend}: ${JSON.stringify(picks)}`).toBeGreaterThanOrEqual(min);
        expect(share, `share of ${backend}: ${JSON.stringify(picks)}`).toBeLessThanOrEqual(max);
      }
      if (c.shares) expect(Object.keys(picks).sort()).toEqual(Object.keys(c.shares).sort());
    });
  });
}

function check(c: Case, d: Decision): void {
  const context = `decision: ${JSON.stringify(d, null, 1)}`;
  if (c.status !== undefined) expect(d.status, context).toBe(c.status);
  if (c.outcome !== undefined) expect(d.outcome, context).toBe(c.outcome);
  if (c.reason !== undefined) expect(d.reason, context).toBe(c.reason);
  if (c.grpcStatus !== undefined) expect(d.grpcStatus, context).toBe(c.grpcStatus);
  if (c.kind !== undefined) expect(d.route?.kind, context).toBe(c.kind);
  if (c.backend !== undefined) {
    expect(d.backend ? `${d.backend.namespace}/${d.backend.name}` : null, context).toBe(c.backend);
    if (c.backend !== null && c.status === undefined && c.outcome === undefined) expect(d.outcome, context).toBe("forward");
  }
  if (c.route !== undefined) {
    const got = d.route ? `${d.route.namespace}/${d.route.name}` : null;
    const [ns, name, , rule] = (c.route ?? "").split("/");
    expect(got, context).toBe(c.route === null ? null : `${ns}/${name}`);
    if (rule !== undefined) expect(d.route?.rule, context).toBe(Number(rule));
  }
  if (c.backends !== undefined) {
    const split: Record<string, number> = {};
    for (const b of d.backends) split[`${b.namespace}/${b.name}`] = (split[`${b.namespace}/${b.name}`] ?? 0) + b.probability;
    expect(split, context).toEqual(c.backends);
  }
  // A header sent as several lines equals one comma-joined line (RFC 9110 §5.3): compare joined.
  const joined = d.forwarded
    ? { ...d, forwarded: { ...d.forwarded, headers: Object.fromEntries(Object.entries(d.forwarded.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v])) } }
    : d;
  if (c.expect !== undefined) expect(joined, context).toMatchObject(c.expect);
  for (const name of c.absent ?? []) {
    expect(d.forwarded, context).not.toBeNull();
    expect(Object.keys(d.forwarded!.headers), context).not.toContain(name);
  }
  for (const name of c.absentResponse ?? []) {
    expect(Object.keys(d.responseHeaders?.set ?? {}), context).not.toContain(name);
    expect(Object.keys(d.responseHeaders?.add ?? {}), context).not.toContain(name);
  }
  if (c.headerNamesBackend !== undefined) expect(d.forwarded?.headers[c.headerNamesBackend], context).toBe(d.backend?.name);
  for (const pattern of c.explain ?? []) {
    expect(d.explain ?? [], context).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(pattern))]));
  }
}

/** What a lean decision (DecideOptions.lean) keeps of a full one. */
export function leanPart(d: Decision): Partial<Decision> {
  const { forwarded: _f, timeouts: _t, retry: _r, backendTLS: _b, backendProtocol: _p, explain: _e, ...kept } = d;
  return kept;
}
