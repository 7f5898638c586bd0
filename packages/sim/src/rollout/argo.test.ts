import { describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests, type ManifestObject } from "@gwsim/core";
import { parseRolloutFile } from "./parse.js";
import { rolloutSteps } from "./steps.js";
import { rulesOf } from "./working.js";
import type { RolloutPlan, RolloutStep } from "./types.js";

const WORLD = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: example.com/gc}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: gc
  listeners:
  - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop, labels: {team: web}}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  hostnames: [shop.test]
  rules:
  - name: main
    matches:
    - path: {type: PathPrefix, value: /app}
      headers: [{name: x-tier, value: gold}]
    - path: {type: PathPrefix, value: /app}
      method: POST
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-via, value: gw}]}
    backendRefs:
    - {name: web-v1, port: 80, weight: 100}
    - {name: web-v2, port: 8080, weight: 0}
  - name: api
    matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs:
    - {name: web-v1, port: 80}
    - {name: web-v2, port: 8080}
  - name: pinned
    matches: [{path: {type: PathPrefix, value: /}, headers: [{name: x-pin, value: v2}]}]
    backendRefs: [{name: web-v2, port: 8080}]
  - name: other
    matches: [{path: {type: PathPrefix, value: /other}}]
    backendRefs: [{name: other, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web-v1, namespace: shop}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-v2, namespace: shop}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: other, namespace: shop}
spec: {ports: [{port: 80}]}
`;

const world = (): ManifestObject[] => {
  const r = parseManifests(WORLD, { file: "world.yaml" });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.objects;
};

function rollout(steps: string, extra = "", plugin = "httpRoute: web"): ManifestObject {
  const text = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: shop}
spec:
  strategy:
    canary:
      canaryService: web-v2
      stableService: web-v1
      trafficRouting:
        managedRoutes: [{name: beta}, {name: shadow}]
        plugins:
          argoproj-labs/gatewayAPI:
            ${plugin}
${extra}      steps:
${steps}`;
  const { doc, problems } = parseRolloutFile(text, { file: "rollout.yaml" });
  expect(problems).toEqual([]);
  return doc!;
}

const plan = (steps: string, extra = "", plugin?: string, objects = world()): RolloutPlan => rolloutSteps(objects, rollout(steps, extra, plugin));

function route(step: RolloutStep | { objects: ManifestObject[] }, name = "web"): ManifestObject {
  return step.objects.find((o) => o.kind === "HTTPRoute" && o.metadata.name === name)!;
}

/** Each rule as `name: backend=weight,...`. */
function weights(step: RolloutStep | { objects: ManifestObject[] }): string[] {
  return rulesOf(route(step)).map((r) => `${r.name ?? "-"}: ${(r.backendRefs ?? []).map((b) => `${b.name}=${b.weight ?? "-"}`).join(",")}`);
}

const codes = (p: RolloutPlan) => p.problems.map((x) => `${x.severity} ${x.code}`);

describe("Argo Rollouts: steps become route snapshots", () => {
  it.each([
    {
      title: "setWeight and timed pauses",
      steps: ["- setWeight: 10", "- pause: {duration: 1h}", "- setWeight: 40", "- pause: {duration: 90}"],
      want: [
        { name: "steps 1–2: setWeight 10, pause 1h", weight: 10, hold: "timed", duration: 3_600_000 },
        { name: "steps 3–4: setWeight 40, pause 1m30s", weight: 40, hold: "timed", duration: 90_000 },
        { name: "all steps done: setWeight 100, promoted: web-v1 now serves the new version", weight: 0, hold: "end", duration: null },
      ],
    },
    {
      title: "a pause without duration waits for a person",
      steps: ["- pause: {}", "- setWeight: 50", "- pause: {duration: 10m}"],
      want: [
        { name: "step 1: pause", weight: 0, hold: "manual", duration: null },
        { name: "steps 2–3: setWeight 50, pause 10m", weight: 50, hold: "timed", duration: 600_000 },
        { name: "all steps done: setWeight 100, promoted: web-v1 now serves the new version", weight: 0, hold: "end", duration: null },
      ],
    },
    {
      title: "instant steps fold into the next pause; a trailing setWeight folds into the promotion",
      steps: ["- setWeight: 5", "- setCanaryScale: {replicas: 2}", "- pause: {duration: 30s}", "- setWeight: 100"],
      want: [
        { name: "steps 1–3: setWeight 5, setCanaryScale, pause 30s", weight: 5, hold: "timed", duration: 30_000 },
        { name: "setWeight 100, all steps done: setWeight 100, promoted: web-v1 now serves the new version", weight: 0, hold: "end", duration: null },
      ],
    },
  ])("$title", ({ steps, want }) => {
    const p = plan(steps.map((s) => `      ${s}`).join("\n"));
    expect(p.steps.map(({ name, weight, hold, duration }) => ({ name, weight, hold, duration }))).toEqual(want);
    expect(p.kind).toBe("Rollout");
    expect(p.name).toBe("shop/web");
  });

  it("sets the weight on every rule with the canary or stable Service, skipping the canary-only rule", () => {
    const p = plan("      - setWeight: 30\n      - pause: {duration: 1m}");
    expect(weights(p.steps[0]!)).toEqual(["main: web-v1=70,web-v2=30", "api: web-v1=70,web-v2=30", "other: other=-"]);
    // The final state: everything back on the stable Service, which now runs the new version.
    expect(weights(p.steps[1]!)).toEqual(["main: web-v1=100,web-v2=0", "api: web-v1=100,web-v2=0", "other: other=-"]);
    expect(p.steps[0]!.canary).toEqual(["shop/web-v2"]);
    expect(p.steps[0]!.stable).toEqual(["shop/web-v1"]);
    expect(p.steps[1]!.canary).toEqual(["shop/web-v2", "shop/web-v1"]);
    expect(p.steps[1]!.stable).toEqual([]);
  });

  it("the plugin takes a user's canary-only rule for its own and removes it at the start: a warning with its line", () => {
    const p = plan("      - setWeight: 30\n      - pause: {duration: 1m}");
    expect(p.ok).toBe(true);
    const w = p.problems.find((x) => x.code === "argo.user-rule-removed")!;
    expect(w.severity).toBe("warning");
    expect(w.message).toContain("rule 2 (pinned) of HTTPRoute shop/web");
    expect(w).toMatchObject({ file: "rollout.yaml", line: 9 });
    // The world as given still has it.
    expect(rulesOf(route({ objects: p.before })).map((r) => r.name)).toContain("pinned");
  });

  it("labels the route while the canary has weight and removes the label at 0", () => {
    const p = plan("      - setWeight: 30\n      - pause: {duration: 1m}");
    expect(route(p.steps[0]!).metadata.labels).toEqual({ team: "web", "rollouts.argoproj.io/gatewayapi-canary": "in-progress" });
    expect(route(p.steps[1]!).metadata.labels).toEqual({ team: "web" });
    const off = plan("      - setWeight: 30\n      - pause: {duration: 1m}", "", "httpRoute: web\n            disableInProgressLabel: true");
    expect(route(off.steps[0]!).metadata.labels).toEqual({ team: "web" });
  });

  it("setHeaderRoute adds one rule per weighted rule, with merged matches, copied filters and the canary's port", () => {
    const p = plan(
      [
        "      - setWeight: 10",
        "      - setHeaderRoute:",
        "          name: beta",
        "          match:",
        "          - {headerName: x-beta, headerValue: {exact: 'yes'}}",
        "          - {headerName: x-group, headerValue: {prefix: internal}}",
        "      - pause: {duration: 1m}",
      ].join("\n"),
    );
    const rules = rulesOf(route(p.steps[0]!));
    expect(rules.map((r) => r.name)).toEqual(["main", "api", "other", "beta", "beta-1"]);
    const beta = rules[3]!;
    expect(beta.backendRefs).toEqual([{ group: "", kind: "Service", name: "web-v2", port: 8080 }]);
    expect(beta.filters).toEqual(rules[0]!.filters);
    expect(beta.matches).toEqual([
      {
        path: { type: "PathPrefix", value: "/app" },
        headers: [
          { name: "x-tier", value: "gold" },
          { name: "x-beta", type: "Exact", value: "yes" },
          { name: "x-group", type: "RegularExpression", value: "internal.*" },
        ],
      },
      {
        path: { type: "PathPrefix", value: "/app" },
        method: "POST",
        headers: [
          { name: "x-beta", type: "Exact", value: "yes" },
          { name: "x-group", type: "RegularExpression", value: "internal.*" },
        ],
      },
    ]);
    expect(rules[4]!.matches).toEqual([
      { path: { type: "PathPrefix", value: "/api" }, headers: [{ name: "x-beta", type: "Exact", value: "yes" }, { name: "x-group", type: "RegularExpression", value: "internal.*" }] },
    ]);
    // SetWeight leaves the header rules alone; they go at the promotion.
    expect(weights(p.steps[0]!)).toContain("beta: web-v2=-");
    expect(rulesOf(route(p.steps[1]!)).map((r) => r.name)).toEqual(["main", "api", "other"]);
  });

  it("routes beta users to the canary and the rest by weight, in the real core", () => {
    const p = plan("      - setWeight: 0\n      - setHeaderRoute: {name: beta, match: [{headerName: x-beta, headerValue: {exact: 'yes'}}]}\n      - pause: {}");
    const w = buildWorld(p.steps[0]!.objects);
    const req = (headers: Record<string, string>) => ({ gateway: "infra/gw", host: "shop.test", path: "/api/x", headers });
    expect(decide(w, req({ "x-beta": "yes" }), { seed: 1, index: 0 }).backend?.name).toBe("web-v2");
    for (let i = 0; i < 50; i++) expect(decide(w, req({}), { seed: 1, index: i }).backend?.name).toBe("web-v1");
  });

  it("a second setHeaderRoute of the same name replaces the first; one without match removes every managed route", () => {
    const p = plan(
      [
        "      - setHeaderRoute: {name: beta, match: [{headerName: x-beta, headerValue: {exact: a}}]}",
        "      - pause: {duration: 1m}",
        "      - setHeaderRoute: {name: beta, match: [{headerName: x-beta, headerValue: {regex: 'b|c'}}]}",
        "      - pause: {duration: 1m}",
        "      - setHeaderRoute: {name: beta}",
        "      - pause: {duration: 1m}",
      ].join("\n"),
    );
    const names = (i: number) => rulesOf(route(p.steps[i]!)).map((r) => r.name);
    expect(names(0)).toEqual(["main", "api", "other", "beta", "beta-1"]);
    expect(names(1)).toEqual(["main", "api", "other", "beta", "beta-1"]);
    expect((rulesOf(route(p.steps[1]!))[3]!.matches![0]!.headers as unknown[]).at(-1)).toEqual({ name: "x-beta", type: "RegularExpression", value: "b|c" });
    expect(names(2)).toEqual(["main", "api", "other"]);
  });

  it("setMirrorRoute: the branch's added rule by default (with a warning), nothing when told to ignore it", () => {
    const steps = "      - setWeight: 20\n      - setMirrorRoute: {name: shadow, percentage: 50, match: [{method: {exact: GET}, path: {prefix: /api}, headers: {x-b: {exact: '1'}, x-a: {regex: 'z.*'}}}]}\n      - pause: {duration: 1m}";
    const p = plan(steps);
    expect(codes(p)).toContain("warning argo.mirror-unreleased");
    const rules = rulesOf(route(p.steps[0]!));
    const mirror = rules[rules.length - 1]!;
    expect(mirror).toEqual({
      matches: [{ path: { type: "PathPrefix", value: "/api" }, method: "GET", headers: [{ name: "x-a", type: "RegularExpression", value: "z.*" }, { name: "x-b", type: "Exact", value: "1" }] }],
      filters: [{ type: "RequestMirror", requestMirror: { backendRef: { group: "", kind: "Service", name: "web-v2", port: 8080 }, percent: 50 } }],
      backendRefs: [{ name: "web-v1", port: 80, weight: 80 }, { name: "web-v2", port: 8080, weight: 20 }],
    });
    // Gone once promoted.
    expect(rulesOf(route(p.steps[1]!)).some((r) => r.filters?.some((f) => f.type === "RequestMirror"))).toBe(false);
    const ignored = rolloutSteps(world(), rollout(steps), { argoMirror: "ignore" });
    expect(codes(ignored)).toContain("warning argo.mirror-ignored");
    expect(rulesOf(route(ignored.steps[0]!))).toHaveLength(3);
  });

  it("discovers routes by label selector (no header routes on them)", () => {
    const p = plan("      - setWeight: 25\n      - setHeaderRoute: {name: beta, match: [{headerName: x-beta, headerValue: {exact: 'y'}}]}\n      - pause: {duration: 1m}", "", "httpRouteSelector: {matchLabels: {team: web}}");
    expect(weights(p.steps[0]!)).toEqual(["main: web-v1=75,web-v2=25", "api: web-v1=75,web-v2=25", "pinned: web-v2=-", "other: other=-"]);
  });

  it.each([
    {
      title: "a route without the stable Service: SetWeight fails",
      plugin: "httpRoute: lonely",
      extraWorld: "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: lonely, namespace: shop}\nspec:\n  rules: [{backendRefs: [{name: web-v2, port: 8080}, {name: other, port: 80}]}]\n",
      want: "error argo.backend-not-found",
      message: "HTTPRoute shop/lonely has no backendRef to the stable web-v1 Service",
    },
    { title: "a route that does not exist", plugin: "httpRoute: nowhere", extraWorld: "", want: "error argo.route-not-found", message: "HTTPRoute shop/nowhere not found" },
  ])("$title", ({ plugin, extraWorld, want, message }) => {
    const objects = parseManifests(WORLD + extraWorld).objects;
    const p = plan("      - setWeight: 10\n      - pause: {duration: 1m}", "", plugin, objects);
    expect(p.ok).toBe(false);
    expect(codes(p)).toContain(want);
    expect(p.problems.find((x) => x.code === want.split(" ")[1])!.message).toContain(message);
  });

  it("reports Rollouts it cannot simulate, and bad durations with their line", () => {
    const notPlugin = parseRolloutFile(
      "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  strategy:\n    canary:\n      canaryService: a\n      stableService: b\n      trafficRouting:\n        istio: {virtualService: {name: vs}}\n",
    ).doc!;
    const p1 = rolloutSteps(world(), notPlugin);
    expect(p1).toMatchObject({ ok: false, steps: [] });
    expect(p1.problems[0]).toMatchObject({ code: "argo.no-plugin", line: 9 });
    expect(p1.problems[0]!.message).toContain("found istio");
    const blueGreen = parseRolloutFile("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  strategy:\n    blueGreen: {activeService: a}\n").doc!;
    expect(rolloutSteps(world(), blueGreen).problems[0]!.code).toBe("argo.not-canary");
    const bad = plan("      - setWeight: 10\n      - pause: {duration: soon}");
    expect(bad.problems.find((x) => x.code === "argo.bad-duration")).toMatchObject({ severity: "error", line: 16 });
    const unmanaged = plan("      - setHeaderRoute: {name: gamma, match: [{headerName: x, headerValue: {exact: y}}]}");
    expect(codes(unmanaged)).toContain("error argo.unmanaged-route");
  });

  it("snapshots are independent: editing one step's route leaves the others and the input alone", () => {
    const objects = world();
    const before = JSON.stringify(objects);
    const p = plan("      - setWeight: 10\n      - pause: {duration: 1m}\n      - setWeight: 20\n      - pause: {duration: 1m}", "", undefined, objects);
    expect(JSON.stringify(objects)).toBe(before);
    expect(weights(p.steps[0]!)[0]).toBe("main: web-v1=90,web-v2=10");
    expect(weights(p.steps[1]!)[0]).toBe("main: web-v1=80,web-v2=20");
    // Objects no controller touches are shared, not copied.
    const svc = (s: RolloutStep) => s.objects.find((o) => o.kind === "Service" && o.metadata.name === "other");
    expect(svc(p.steps[0]!)).toBe(svc(p.steps[1]!));
  });
});

describe("Argo Rollouts: QA against the controller and plugin source", () => {
  // The plugin's `namespace` is where the routes live (plugin.go getGatewayAPITrafficRoutingConfig);
  // canaryService and stableService are the Rollout's own, in the Rollout's namespace.
  const CROSS = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: example.com/gc}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: edge}
spec:
  gatewayClassName: gc
  listeners:
  - {name: http, protocol: HTTP, port: 80}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: front, namespace: edge}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs:
    - {name: cart-old, namespace: shop, port: 80}
    - {name: cart-new, namespace: shop, port: 80}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: from-edge, namespace: shop}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: edge}]
  to: [{group: "", kind: Service}]
---
apiVersion: v1
kind: Service
metadata: {name: cart-old, namespace: shop}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: cart-new, namespace: shop}
spec: {ports: [{port: 80}]}
`;
  const crossRollout = (): ManifestObject =>
    parseRolloutFile(`apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: cart, namespace: shop}
spec:
  strategy:
    canary:
      canaryService: cart-new
      stableService: cart-old
      trafficRouting:
        plugins:
          argoproj-labs/gatewayAPI: {httpRoute: front, namespace: edge}
      steps:
      - setWeight: 100
      - pause: {duration: 1m}
`).doc!;

  it("the canary and stable Services are the Rollout's (its namespace), not the plugin namespace's", () => {
    const p = rolloutSteps(parseManifests(CROSS).objects, crossRollout());
    expect(p.ok).toBe(true);
    const step = p.steps[0]!;
    expect(rulesOf(route(step, "front"))[0]!.backendRefs!.map((b) => `${b.name}=${b.weight}`)).toEqual(["cart-old=0", "cart-new=100"]);
    const d = decide(buildWorld(step.objects), { gateway: "edge/gw", host: "x", path: "/" }, { seed: 1, index: 0 });
    expect(`${d.backend!.namespace}/${d.backend!.name}`).toBe("shop/cart-new");
    expect(step.canary).toEqual(["shop/cart-new"]);
    expect(step.stable).toEqual(["shop/cart-old"]);
  });

  it("warns when a ref the plugin edits, or the header rule it adds, names a Service outside the Rollout's namespace", () => {
    const text = CROSS.replace("namespace: shop, port: 80}\n    - {name: cart-new, namespace: shop", "namespace: shop, port: 80}\n    - {name: cart-new");
    expect(text).not.toBe(CROSS);
    const p = rolloutSteps(parseManifests(text).objects, crossRollout());
    expect(p.problems.find((x) => x.code === "argo.service-namespace")!.message).toContain("backendRef cart-new is Service edge/cart-new, not the Rollout's shop/cart-new");
    const doc = crossRollout();
    const canarySpec = (doc.spec as { strategy: { canary: Record<string, unknown> } }).strategy.canary;
    canarySpec.steps = [{ setHeaderRoute: { name: "beta", match: [{ headerName: "x-beta", headerValue: { exact: "1" } }] } }, { pause: {} }];
    (canarySpec.trafficRouting as Record<string, unknown>).managedRoutes = [{ name: "beta" }];
    const h = rolloutSteps(parseManifests(CROSS).objects, doc);
    expect(h.problems.map((x) => x.code)).toContain("argo.header-route-namespace");
    // As the plugin writes it: the header rule's ref resolves in the route's namespace, where no such Service is.
    const d = decide(buildWorld(h.steps[0]!.objects), { gateway: "edge/gw", host: "x", path: "/", headers: { "x-beta": "1" } }, { seed: 1, index: 0 });
    expect(d.status).toBe(500);
  });
  it.each([
    { title: "setWeight over 100", steps: "      - setWeight: 150", code: "error argo.invalid-spec", message: "SetWeight needs to be between 0 and 100" },
    { title: "two step kinds in one step", steps: "      - {setWeight: 10, pause: {}}", code: "error argo.invalid-spec", message: "Step must have one of the following set" },
    { title: "a step of no known kind", steps: "      - setWieght: 10", code: "error argo.invalid-spec", message: "Step must have one of the following set" },
    { title: "a step plugin", steps: "      - plugin: {name: x/y}", code: "warning argo.step-plugin", message: "not simulated" },
  ])("validation.go: $title", ({ steps, code, message }) => {
    const p = plan(steps);
    expect(codes(p)).toContain(code);
    expect(p.problems.find((x) => x.code === code.split(" ")[1])!.message).toContain(message);
    expect(p.ok).toBe(code.startsWith("warning"));
  });

  it("maxTrafficWeight: the plugin still splits 100; above 100 it writes a negative stable weight the API server rejects", () => {
    const small = plan("      - setWeight: 5\n      - pause: {duration: 1m}", "", undefined, world());
    expect(small.ok).toBe(true);
    const doc = rollout("      - setWeight: 5\n      - pause: {duration: 1m}");
    const tr = (doc.spec as { strategy: { canary: { trafficRouting: Record<string, unknown> } } }).strategy.canary.trafficRouting;
    tr.maxTrafficWeight = 10;
    const p10 = rolloutSteps(world(), doc);
    expect(codes(p10)).toContain("warning argo.max-traffic-weight");
    // 5 of a max of 10 is half the traffic to Argo, 5% on the route.
    expect(weights(p10.steps[0]!)[0]).toBe("main: web-v1=95,web-v2=5");
    tr.maxTrafficWeight = 1000;
    (doc.spec as { strategy: { canary: { steps: unknown[] } } }).strategy.canary.steps = [{ setWeight: 500 }, { pause: { duration: 60 } }];
    const p1000 = rolloutSteps(world(), doc);
    expect(p1000.ok).toBe(false);
    expect(codes(p1000)).toContain("error argo.weight-rejected");
    // No negative weight is ever written: the route keeps its last accepted weights.
    expect(weights(p1000.steps[0]!)[0]).toBe("main: web-v1=100,web-v2=0");
    // The controller retries the failing SetWeight: the rollout stays at step 1.
    expect(p1000.steps.map((s) => [s.name, s.hold])).toEqual([["step 1: setWeight 500, SetWeight 500 fails on HTTPRoute shop/web: retried, the rollout stays here", "end"]]);
  });
  it.each([
    { exp: "{duration: 30m, templates: [{name: base, specRef: stable, weight: 5}]}", hold: 1_800_000, codes: ["warning argo.experiment"], text: "base=5" },
    { exp: "{duration: '300', templates: [{name: t, specRef: canary}]}", hold: null, codes: ["warning argo.experiment", "error argo.bad-duration"], text: "no route traffic" },
    { exp: "{templates: [{name: t, specRef: canary}]}", hold: null, codes: ["warning argo.experiment", "info argo.experiment-instant"], text: "no route traffic" },
  ])("experiment $exp", ({ exp, hold, codes: want, text }) => {
    const p = plan(`      - setWeight: 10\n      - experiment: ${exp}`);
    expect(codes(p)).toEqual(expect.arrayContaining(want));
    expect(p.problems.find((x) => x.code === "argo.experiment")!.message).toContain(text);
    // A DurationString is Go's ParseDuration: bare seconds do not parse, unlike a pause's intstr.
    expect(p.steps[0]!.hold === "timed" ? p.steps[0]!.duration : null).toBe(hold);
  });
  it("the API server refuses a header rule that repeats a header name of the rule's match: no edit, an error", () => {
    // Rule "main" already matches x-tier; a header route on x-tier appends it again to that match.
    const p = plan("      - setWeight: 10\n      - setHeaderRoute: {name: beta, match: [{headerName: x-tier, headerValue: {exact: beta}}]}\n      - pause: {duration: 1m}");
    expect(p.ok).toBe(false);
    const e = p.problems.find((x) => x.code === "argo.update-rejected")!;
    expect(e.message).toContain("setHeaderRoute beta: the API server rejects the plugin's update of HTTPRoute shop/web");
    expect(e.message).toContain("Duplicate value");
    expect(rulesOf(route(p.steps[0]!)).map((r) => r.name)).toEqual(["main", "api", "other"]);
  });

  it("the API server refuses more than 16 rules: header rules for 9 weighted rules do not fit", () => {
    const rules = Array.from({ length: 9 }, (_, i) => `  - matches: [{path: {type: PathPrefix, value: /r${i}}}]\n    backendRefs: [{name: web-v1, port: 80}, {name: web-v2, port: 8080}]`).join("\n");
    const objects = parseManifests(WORLD.replace(/kind: HTTPRoute[\s\S]*?\n---/, `kind: HTTPRoute\nmetadata: {name: web, namespace: shop}\nspec:\n  parentRefs: [{name: gw, namespace: infra}]\n  rules:\n${rules}\n---`)).objects;
    expect(rulesOf(objects.find((o) => o.kind === "HTTPRoute")!)).toHaveLength(9);
    const p = plan("      - setHeaderRoute: {name: beta, match: [{headerName: x-beta, headerValue: {exact: 'y'}}]}\n      - pause: {duration: 1m}", "", undefined, objects);
    expect(p.problems.find((x) => x.code === "argo.update-rejected")!.message).toContain("spec.rules");
    expect(rulesOf(route(p.steps[0]!))).toHaveLength(9);
  });
  it("a file with several rollouts: the first is simulated, a warning names them all with the second's line", () => {
    const one = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: a, namespace: x}\nspec: {}\n";
    const f = parseRolloutFile(`${one}---\n${one.replace("name: a", "name: b")}`, { file: "two.yaml" });
    expect(f.doc!.metadata.name).toBe("a");
    expect(f.problems).toMatchObject([{ code: "rollout.several", severity: "warning", file: "two.yaml", line: 7 }]);
    expect(f.problems[0]!.message).toContain("Rollout x/a, Rollout x/b");
  });
});

describe("Argo Rollouts: experiment Services and failed plugin calls", () => {
  const rolloutWith = (steps: string, opts: { ports?: string; plugin?: string } = {}): ManifestObject => {
    const text = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: app
        image: web:2
${opts.ports ?? "        ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]"}
  strategy:
    canary:
      canaryService: web-v2
      stableService: web-v1
      trafficRouting:
        managedRoutes: [{name: beta}]
        plugins:
          argoproj-labs/gatewayAPI:
            ${opts.plugin ?? "httpRoute: web"}
      steps:
${steps}`;
    const { doc, problems } = parseRolloutFile(text, { file: "rollout.yaml" });
    expect(problems).toEqual([]);
    return doc!;
  };
  const named = `      - setWeight: 10
      - experiment:
          duration: 30m
          templates:
          - {name: base, specRef: stable, weight: 5, service: {name: web-exp-base}}
          - {name: cand, specRef: canary, weight: 10, service: {name: web-exp-cand}}
      - pause: {duration: 1m}`;

  it("templates that name their Service: added to the first weighted rule while the experiment runs, stable at 100 − Σ, removed after", () => {
    const p = rolloutSteps(world(), rolloutWith(named));
    expect(p.ok).toBe(true);
    expect(p.steps.map((s) => s.name)).toEqual([
      "steps 1–2: setWeight 10, experiment",
      "step 3: pause 1m",
      "all steps done: setWeight 100, promoted: web-v1 now serves the new version",
    ]);
    // The plugin leaves the canary at its weight, so the first rule sums to 110 (experiment.go).
    // (rule "pinned", whose only backendRef is the canary, went at the start: the plugin takes it for its own)
    expect(weights(p.steps[0]!)).toEqual(["main: web-v1=85,web-v2=10,web-exp-base=5,web-exp-cand=10", "api: web-v1=90,web-v2=10", "other: other=-"]);
    expect(rulesOf(route(p.steps[0]!))[0]!.backendRefs!.slice(2)).toEqual([
      { name: "web-exp-base", namespace: "shop", port: 8080, weight: 5 },
      { name: "web-exp-cand", namespace: "shop", port: 8080, weight: 10 },
    ]);
    expect(p.steps[0]!).toMatchObject({ hold: "timed", duration: 1_800_000, canary: ["shop/web-v2", "shop/web-exp-cand"], stable: ["shop/web-v1", "shop/web-exp-base"] });
    expect(p.steps[0]!.objects.filter((o) => o.kind === "Service" && o.metadata.name.startsWith("web-exp")).map((o) => o.metadata.name)).toEqual(["web-exp-base", "web-exp-cand"]);
    // Afterwards: gone from the route and from the world, weights as setWeight says.
    expect(weights(p.steps[1]!)).toEqual(["main: web-v1=90,web-v2=10", "api: web-v1=90,web-v2=10", "other: other=-"]);
    expect(p.steps[1]!.objects.some((o) => o.metadata.name.startsWith("web-exp"))).toBe(false);
    expect(p.steps[1]!).toMatchObject({ canary: ["shop/web-v2"], stable: ["shop/web-v1"] });
    expect(codes(p)).toContain("info argo.experiment-services");
    // Routed: each of the four Services gets its share of weight / 110 on the first rule.
    const w = buildWorld(p.steps[0]!.objects);
    const counts = new Map<string, number>();
    const n = 11_000;
    for (let i = 0; i < n; i++) {
      const d = decide(w, { gateway: "infra/gw", host: "shop.test", method: "POST", path: "/app" }, { seed: 3, index: i });
      expect(d.outcome).toBe("forward");
      counts.set(d.backend!.name, (counts.get(d.backend!.name) ?? 0) + 1);
    }
    for (const [svc, share] of [["web-v1", 85], ["web-v2", 10], ["web-exp-base", 5], ["web-exp-cand", 10]] as const) {
      const expected = (n * share) / 110;
      expect(Math.abs(counts.get(svc)! - expected), svc).toBeLessThan(5 * Math.sqrt(expected));
    }
  });

  it.each([
    { ports: "        ports: [{name: http, containerPort: 80}]", port: 80 },
    { ports: "        ports: [{name: web, containerPort: 7000}, {containerPort: 7001}]", port: 7000 },
    // The plugin's fallback: port 8080 (even from the "http" port) is replaced by the first port.
    { ports: "        ports: [{name: metrics, containerPort: 9090}, {name: http, containerPort: 8080}]", port: 9090 },
  ])("the experiment Service's port as the plugin picks it: $port", ({ ports, port }) => {
    const p = rolloutSteps(world(), rolloutWith(named, { ports }));
    expect(rulesOf(route(p.steps[0]!))[0]!.backendRefs!.slice(2).map((b) => b.port)).toEqual([port, port]);
  });

  it("no container port: no Service is created, the plugin skips it but still lowers the stable weight", () => {
    const p = rolloutSteps(world(), rolloutWith(named, { ports: "        resources: {}" }));
    expect(weights(p.steps[0]!)[0]).toBe("main: web-v1=85,web-v2=10");
    expect(codes(p)).toContain("warning argo.experiment-services");
  });

  it("a weighted template without service.name: not simulated (its name holds a hash and revision from the cluster), warned", () => {
    const p = rolloutSteps(world(), rolloutWith(named.replace(", service: {name: web-exp-cand}", "")));
    expect(weights(p.steps[0]!)[0]).toBe("main: web-v1=90,web-v2=10");
    const w = p.problems.find((x) => x.code === "argo.experiment")!;
    expect(w.severity).toBe("warning");
    expect(w.message).toContain("cand names no Service");
    expect(w.message).toContain("<rollout>-<pod-template-hash>-<revision>-<step>-<template>");
    expect(p.steps[0]!.objects.some((o) => o.metadata.name.startsWith("web-exp"))).toBe(false);
  });

  const routes = `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: split, namespace: shop}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
  - backendRefs: [{name: web-v1, port: 80}]
  - backendRefs: [{name: web-v2, port: 8080}, {name: other, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web3, namespace: shop}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
  - backendRefs: [{name: web-v1, port: 80}, {name: web-v2, port: 8080}]
`;
  const plugin = "httpRoutes: [{name: web, useHeaderRoutes: true}, {name: split, useHeaderRoutes: true}, {name: web3, useHeaderRoutes: true}]";

  it("a plugin call that fails on one route: earlier routes keep the edit, later ones are untouched, and the rollout stays at that step", () => {
    const objects = parseManifests(WORLD + routes).objects;
    const steps = "      - setWeight: 20\n      - pause: {duration: 1m}\n      - setHeaderRoute: {name: beta, match: [{headerName: x-beta, headerValue: {exact: 'y'}}]}\n      - pause: {duration: 1m}\n      - setWeight: 50\n      - pause: {duration: 1m}";
    const p = rolloutSteps(objects, rolloutWith(steps, { plugin }));
    expect(p.ok).toBe(false);
    expect(p.steps.map((s) => [s.name, s.hold])).toEqual([
      ["steps 1–2: setWeight 20, pause 1m", "timed"],
      ["step 3: setHeaderRoute beta, setHeaderRoute beta fails on HTTPRoute shop/split: retried, the rollout stays here", "end"],
    ]);
    const stuckAt = p.steps[1]!;
    expect(rulesOf(route(stuckAt, "web")).map((r) => r.name)).toContain("beta"); // before the failing route: updated
    expect(rulesOf(route(stuckAt, "split"))).toHaveLength(2); // the failing route: unchanged
    expect(rulesOf(route(stuckAt, "web3"))).toHaveLength(1); // after it: never reached
    expect(rulesOf(route(stuckAt, "web3"))[0]!.backendRefs!.map((b) => b.weight)).toEqual([80, 20]); // setWeight 50 never comes
    const e = p.problems.find((x) => x.code === "argo.stuck")!;
    expect(e).toMatchObject({ severity: "error", line: expect.any(Number) });
    expect(e.message).toContain("the rollout stays at step 3");
    expect(codes(p)).toContain("error argo.backend-not-found");
  });

  it("SetWeight failing at the start (a route without the stable Service): routes before it set, the rollout never starts", () => {
    const objects = parseManifests(WORLD + routes.replace("{name: web-v1, port: 80}]\n  - backendRefs: [{name: web-v2", "{name: other, port: 80}]\n  - backendRefs: [{name: web-v2")).objects;
    const p = rolloutSteps(objects, rolloutWith("      - setWeight: 20\n      - pause: {duration: 1m}", { plugin }));
    expect(p.steps.map((s) => [s.name, s.hold])).toEqual([["SetWeight 0 fails on HTTPRoute shop/split: retried, the rollout stays here", "end"]]);
    expect(p.problems.find((x) => x.code === "argo.stuck")!.message).toContain("stays at its start");
    // web (before) got the in-progress edit of SetWeight 0 (weights written), web3 (after) was never touched.
    expect(rulesOf(route(p.steps[0]!, "web"))[1]!.backendRefs!.map((b) => b.weight)).toEqual([100, 0]);
    expect(rulesOf(route(p.steps[0]!, "web3"))[0]!.backendRefs!.map((b) => b.weight)).toEqual([undefined, undefined]);
  });

  it("routes are taken in the plugin's order: HTTPRoutes (list, httpRoute, selector by name) before GRPCRoutes", () => {
    const objects = parseManifests(WORLD + routes).objects;
    const p = rolloutSteps(objects, rolloutWith("      - setWeight: 20", { plugin: "grpcRoute: nowhere\n            httpRouteSelector: {matchLabels: {team: web}}\n            httpRoute: web3" }));
    // The GRPCRoute comes last: both HTTPRoutes were set before it failed.
    expect(p.problems.find((x) => x.code === "argo.stuck")!.message).toContain("SetWeight 0 fails on GRPCRoute shop/nowhere");
    expect(rulesOf(route(p.steps[0]!, "web3"))[0]!.backendRefs!.map((b) => b.weight)).toEqual([100, 0]);
    expect(rulesOf(route(p.steps[0]!, "web"))[1]!.backendRefs!.map((b) => b.weight)).toEqual([100, 0]);
  });
});
