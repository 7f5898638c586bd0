import { describe, expect, it } from "vitest";
import { hashKeyOf } from "./split.js";

describe("hashKeyOf", () => {
  it.each([
    ["user", { user: "u1" }, "u1"],
    ["header:X-Tenant", { headers: { "x-tenant": "acme" } }, "acme"],
    ["x-tenant", { headers: { "X-Tenant": ["a", "b"] } }, "a,b"],
    ["cookie:s", { headers: { cookie: "a=1; s=abc; b=2" } }, "abc"],
    // HTTP/2 cookie crumbs: one cookie per line.
    ["cookie:a", { headers: { cookie: ["a=1", "s=abc"] } }, "1"],
    ["cookie:s", { headers: { cookie: ["a=1", "s=abc"] } }, "abc"],
    ["cookie:zz", { headers: { cookie: ["a=1", "s=abc"] } }, undefined],
    ["query:v", { path: "/x?v=2&w=3" }, "2"],
    ["query:v", { path: "/x" }, undefined],
  ])("%s of %j → %s", (key, record, want) => {
    expect(hashKeyOf(key, record)).toBe(want);
  });
});
