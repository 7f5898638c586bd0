/**
 * What Set-Cookie carries for a session that an XBackendTrafficPolicy gives a rule (GEP-1619
 * "Path": "if the BackendLBPolicy policy is attached to a service, the Path attribute MUST be
 * left unset", since several routes with different paths may reach one service), against a
 * rule's own sessionPersistence (Path=/); and a Permanent cookie's Max-Age for an absoluteTimeout
 * under a second (Max-Age=0 would delete the cookie at once).
 */
import { describe, expect, it } from "vitest";
import type { Decision } from "@gwsim/core";
import { sessionField, sessionOf } from "./session.js";

const backend = { group: "", kind: "Service", namespace: "app", name: "a", port: 8080 };
const T = Date.parse("2026-01-01T00:00:00Z");
const session = { type: "Cookie" as const, name: "s", presented: null, pinned: false, endpoint: null };
const decision = (from: "rule" | "policy" | null, sessionPersistence: unknown = { sessionName: "s" }) =>
  ({ backend, session, sessionPersistence, ...(from ? { sessionSource: { from, policy: from === "policy" ? "app/p" : null, overrides: [] } } : {}) }) as unknown as Decision;
const setCookie = (d: Decision) => sessionField(sessionOf(d, {}, ["127.0.0.1:1"], T, false)!, backend, "127.0.0.1:1", T)[1];

describe("Set-Cookie of a policy session", () => {
  it.each([
    { from: "rule" as const, path: true },
    { from: null, path: true },
    { from: "policy" as const, path: false },
  ])("session from $from: Path=/ $path", ({ from, path }) => {
    const value = setCookie(decision(from));
    expect(value.includes("; Path=")).toBe(path);
    expect(value).toMatch(/; HttpOnly; SameSite=Strict$/);
  });

  it.each([
    { absoluteTimeout: "500ms", maxAge: 1 },
    { absoluteTimeout: "1500ms", maxAge: 2 },
    { absoluteTimeout: "90s", maxAge: 90 },
  ])("Permanent, absoluteTimeout $absoluteTimeout → Max-Age=$maxAge (never 0: that deletes the cookie)", ({ absoluteTimeout, maxAge }) => {
    const value = setCookie(decision("policy", { sessionName: "s", absoluteTimeout, cookieConfig: { lifetimeType: "Permanent" } }));
    expect(value).toMatch(new RegExp(`; Max-Age=${maxAge}$`));
  });

  it("Permanent with absoluteTimeout 0s (no limit, as decide reads it): no Max-Age=0, which would delete the cookie", () => {
    expect(setCookie(decision("policy", { sessionName: "s", absoluteTimeout: "0s", cookieConfig: { lifetimeType: "Permanent" } }))).not.toMatch(/Max-Age/);
  });

  it("a Session cookie carries neither Max-Age nor Expires, even with absoluteTimeout (the gateway tracks it in the token)", () => {
    const value = setCookie(decision("policy", { sessionName: "s", absoluteTimeout: "1h", cookieConfig: { lifetimeType: "Session" } }));
    expect(value).not.toMatch(/Max-Age|Expires/);
  });
});
