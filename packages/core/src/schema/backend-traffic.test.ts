/**
 * XBackendTrafficPolicy validation: the CRD's OpenAPI bounds and CEL rules (config/crd/experimental
 * at v1.6.1), each reported at file:line:col of the field, and the CRD's defaults.
 */
import { describe, expect, it } from "vitest";
import { check, errorsOf, markedLine, yaml } from "./__tests__/helpers.js";
import type { XBackendTrafficPolicy } from "./backend-traffic.js";

const head = yaml`
  apiVersion: gateway.networking.x-k8s.io/v1alpha1
  kind: XBackendTrafficPolicy
  metadata: {name: p, namespace: ns}
  spec:
`;

describe("XBackendTrafficPolicy schema", () => {
  it.each([
    {
      what: "budget interval above one hour (CEL)",
      body: "  targetRefs: [{group: '', kind: Service, name: a}]\n  retryConstraint:\n    budget: {interval: 2h} #<\n",
      path: "spec.retryConstraint.budget.interval",
      code: "cel.retry-budget-interval",
      message: "interval cannot be greater than one hour or less than one second",
    },
    {
      what: "budget interval under one second (CEL)",
      body: "  targetRefs: [{group: '', kind: Service, name: a}]\n  retryConstraint:\n    budget: {interval: 500ms} #<\n",
      path: "spec.retryConstraint.budget.interval",
      code: "cel.retry-budget-interval",
      message: "interval cannot be greater than one hour or less than one second",
    },
    {
      what: "minRetryRate interval of zero (CEL)",
      body: "  targetRefs: [{group: '', kind: Service, name: a}]\n  retryConstraint:\n    minRetryRate: {interval: 0s} #<\n",
      path: "spec.retryConstraint.minRetryRate.interval",
      code: "cel.min-retry-rate-interval",
      message: "interval cannot be greater than one hour",
    },
    {
      what: "minRetryRate interval above one hour (CEL)",
      body: "  targetRefs: [{group: '', kind: Service, name: a}]\n  retryConstraint:\n    minRetryRate: {count: 5, interval: 61m} #<\n",
      path: "spec.retryConstraint.minRetryRate.interval",
      code: "cel.min-retry-rate-interval",
      message: "interval cannot be greater than one hour",
    },
    {
      what: "percent above 100",
      body: "  targetRefs: [{group: '', kind: Service, name: a}]\n  retryConstraint:\n    budget: {percent: 101} #<\n",
      path: "spec.retryConstraint.budget.percent",
      code: "schema.maximum",
    },
    {
      what: "minRetryRate count 0",
      body: "  targetRefs: [{group: '', kind: Service, name: a}]\n  retryConstraint:\n    minRetryRate: {count: 0} #<\n",
      path: "spec.retryConstraint.minRetryRate.count",
      code: "schema.minimum",
    },
    {
      what: "duplicate targetRef (list-map keys group, kind, name)",
      body: "  targetRefs:\n  - {group: '', kind: Service, name: a}\n  - {group: '', kind: Service, name: a} #<\n",
      path: "spec.targetRefs[1]",
      code: "schema.duplicate",
    },
    {
      what: "no targetRefs",
      body: "  targetRefs: [] #<\n",
      path: "spec.targetRefs",
      code: "schema.min-items",
    },
    {
      what: "a sectionName (LocalPolicyTargetReference has none: pruned, with a warning)",
      body: "  targetRefs:\n  - {group: '', kind: Service, name: a, sectionName: http} #<\n",
      path: "spec.targetRefs[0].sectionName",
      severity: "warning",
    },
    {
      // GEP-1619 "Alternatives: IdleTimeout": removed from the API, so v1.6.1's CRD prunes it.
      what: "idleTimeout (not in the v1.6 API: pruned, with a warning)",
      body: "  targetRefs: [{group: '', kind: Service, name: a}]\n  sessionPersistence:\n    idleTimeout: 5m #<\n",
      path: "spec.sessionPersistence.idleTimeout",
      severity: "warning",
    },
    {
      what: "sessionName longer than 128",
      body: `  targetRefs: [{group: '', kind: Service, name: a}]\n  sessionPersistence:\n    sessionName: ${"s".repeat(129)} #<\n`,
      path: "spec.sessionPersistence.sessionName",
      code: "schema.max-length",
    },
    {
      what: "Permanent cookie without absoluteTimeout (CEL)",
      body: "  targetRefs: [{group: '', kind: Service, name: a}]\n  sessionPersistence: #<\n    cookieConfig: {lifetimeType: Permanent}\n",
      path: "spec.sessionPersistence.absoluteTimeout",
      code: "cel.session-persistence-absolute-timeout",
      message: "AbsoluteTimeout must be specified when cookie lifetimeType is Permanent",
    },
    {
      what: "cookieConfig with a Header session (CEL)",
      body: "  targetRefs: [{group: '', kind: Service, name: a}]\n  sessionPersistence:\n    type: Header\n    cookieConfig: {lifetimeType: Session} #<\n",
      path: "spec.sessionPersistence.cookieConfig",
      code: "cel.session-persistence-cookie-config",
      message: "cookieConfig can only be set with type Cookie",
    },
  ] as { what: string; body: string; path: string; code?: string; message?: string; severity?: string }[])("$what: $path", ({ body, path, code, message, severity }) => {
    const text = head + body;
    const all = check(text).diagnostics;
    const hit = all.find((d) => d.path === path);
    expect(hit, JSON.stringify(all)).toBeDefined();
    expect(hit!.severity).toBe(severity ?? "error");
    if (code) expect(hit!.code).toBe(code);
    if (message) expect(hit!.message).toBe(message);
    expect(hit!.file).toBe("case.yaml");
    expect(hit!.line).toBe(markedLine(text));
  });

  it("is served only by the experimental channel, as gateway.networking.x-k8s.io/v1alpha1", () => {
    const text = head + "  targetRefs: [{group: '', kind: Service, name: a}]\n";
    expect(errorsOf(check(text).diagnostics)).toEqual([]);
    const standard = errorsOf(check(text, { channel: "standard" }).diagnostics);
    expect(standard.map((d) => d.code)).toEqual(["schema.unsupported-api-version"]);
    const wrongGroup = errorsOf(check(text.replace("gateway.networking.x-k8s.io/v1alpha1", "gateway.networking.k8s.io/v1")).diagnostics);
    expect(wrongGroup.map((d) => d.code)).toEqual(["schema.unsupported-api-version"]);
  });

  it.each([
    { what: "empty retryConstraint", rc: "{}", want: { budget: { percent: 20, interval: "10s" }, minRetryRate: { count: 10, interval: "1s" } } },
    { what: "budget with percent only", rc: "{budget: {percent: 5}}", want: { budget: { percent: 5, interval: "10s" }, minRetryRate: { count: 10, interval: "1s" } } },
    { what: "minRetryRate given", rc: "{minRetryRate: {count: 3}}", want: { budget: { percent: 20, interval: "10s" }, minRetryRate: { count: 3 } } },
  ])("CRD defaults: $what", ({ rc, want }) => {
    const { resources, diagnostics } = check(head + `  targetRefs: [{group: '', kind: Service, name: a}]\n  retryConstraint: ${rc}\n  sessionPersistence: {}\n`);
    expect(errorsOf(diagnostics)).toEqual([]);
    const p = resources[0] as XBackendTrafficPolicy;
    expect(p.spec.retryConstraint).toEqual(want);
    expect(p.spec.sessionPersistence).toEqual({ type: "Cookie" });
  });
});
