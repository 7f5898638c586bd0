/**
 * What Set-Cookie carries for a session that an XBackendTrafficPolicy gives a rule (GEP-1619
 * "Path": "if the BackendLBPolicy policy is attached to a service, the Path attribute MUST be
 * left unset", since several routes with different paths may reach one service), against a
 * rule's own sessionPersistence (Path=/); and a Permanent cookie's Max-Age for an absoluteTimeout
 * under a second (Max-Age=0 would delete the cookie at once).
 */
import { describe, expect, it } from "vitest";
import { decodeSessionToken, encodeSessionToken, type Decision } from "@gwsim/core";
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

describe("a session that moves to another endpoint keeps its start", () => {
  // The pinned endpoint is gone: the gateway sends a token for the new endpoint. absoluteTimeout
  // counts from the session's start ("Once the AbsoluteTimeout duration has elapsed, the session
  // becomes invalid"), so the new token keeps the old start, and a Permanent cookie's Max-Age is what is left.
  const started = T - 60_000;
  const presented = encodeSessionToken({ backend, endpoint: "127.0.0.1:9", issuedAtMs: started });
  const pinned = (sp: unknown) => ({ backend, session: { ...session, presented: "valid", pinned: true, endpoint: "127.0.0.1:9" }, sessionPersistence: sp }) as unknown as Decision;

  it.each([
    { lifetime: "Session", maxAge: null },
    { lifetime: "Permanent", maxAge: 3540 },
  ])("$lifetime cookie: the new token starts when the session did; Max-Age $maxAge", ({ lifetime, maxAge }) => {
    const d = pinned({ sessionName: "s", absoluteTimeout: "1h", cookieConfig: { lifetimeType: lifetime } });
    const plan = sessionOf(d, { cookie: `s=${presented}` }, ["127.0.0.1:1"], T, false)!;
    expect(plan.renew).toBe(false);
    const value = sessionField(plan, backend, "127.0.0.1:1", T)[1];
    const token = value.split(";")[0]!.slice("s=".length);
    expect(decodeSessionToken(token)).toEqual({ backend, endpoint: "127.0.0.1:1", issuedAtMs: started });
    if (maxAge === null) expect(value).not.toMatch(/Max-Age/);
    else expect(value).toMatch(new RegExp(`; Max-Age=${maxAge}$`));
  });

  it("a new session (nothing pinned) starts now", () => {
    const plan = sessionOf(decision("policy"), {}, ["127.0.0.1:1"], T, false)!;
    const token = sessionField(plan, backend, "127.0.0.1:1", T + 5000)[1].split(";")[0]!.slice("s=".length);
    expect(decodeSessionToken(token)!.issuedAtMs).toBe(T + 5000);
  });
});

describe("a sessionName no cookie or header can carry (lint: session-name-invalid)", () => {
  it.each([
    ["Cookie", "my session"],
    ["Cookie", "a;b"],
    ["Header", "x y"],
    ["Header", "x:y"],
  ] as const)("%s %j keeps no session (no Set-Cookie or header that would fail the response)", (type, name) => {
    const d = { ...decision("rule"), session: { ...session, type, name } } as unknown as Decision;
    expect(sessionOf(d, {}, ["127.0.0.1:1"], T, false)).toBeNull();
  });

  it("a token name keeps its session", () => {
    const d = { ...decision("rule"), session: { ...session, type: "Header", name: "x-session_1" } } as unknown as Decision;
    expect(sessionOf(d, {}, ["127.0.0.1:1"], T, false)).toMatchObject({ kind: "header", name: "x-session_1" });
  });
});
