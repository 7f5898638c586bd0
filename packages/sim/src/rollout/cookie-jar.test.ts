import { describe, expect, it } from "vitest";
import type { Decision } from "@gwsim/core";
import { cookieJar, keepCookies, withCookies } from "./cookie-jar.js";

const answer = (add: string[], set: string[] = []): Decision =>
  ({ responseHeaders: { set: {}, add: {}, remove: [], addAll: { "set-cookie": add }, setAll: set.length ? { "set-cookie": set } : undefined } }) as unknown as Decision;

describe("cookie jar", () => {
  it.each([
    { title: "keeps a named cookie and sends it", lines: ["c=abc; Max-Age=60"], at: 10_000, sent: "c=abc" },
    { title: "ignores cookies it is not told to follow", lines: ["other=1"], at: 10_000, sent: undefined },
    { title: "Max-Age expires it", lines: ["c=abc; Max-Age=60"], at: 61_000, sent: undefined },
    { title: "Max-Age=-1 deletes it", lines: ["c=abc; Max-Age=60", "c=abc; Max-Age=-1"], at: 10_000, sent: undefined },
    { title: "no Max-Age: a session cookie", lines: ["p=z; Path=/; Secure"], at: 9e12, sent: "p=z" },
    { title: "both, in the order kept", lines: ["c=abc; max-age=600", "p=z"], at: 1_000, sent: "c=abc; p=z" },
  ])("$title", ({ lines, at, sent }) => {
    const jar = cookieJar(["c", "p"]);
    for (const l of lines) keepCookies(jar, "u1", answer([l]), 0);
    expect(withCookies(jar, "u1", { gateway: "g/w" }, at).headers?.cookie).toBe(sent);
    // Another user has none.
    expect(withCookies(jar, "u2", { gateway: "g/w" }, at)).toEqual({ gateway: "g/w" });
  });

  it("adds to the request's own Cookie header, whatever its case, without changing the record", () => {
    const jar = cookieJar(["c"]);
    keepCookies(jar, "u", answer([], ["c=1"]), 0);
    const record = { gateway: "g/w", headers: { Cookie: "sid=9" } };
    expect(withCookies(jar, "u", record, 1).headers).toEqual({ Cookie: "sid=9; c=1" });
    expect(withCookies(jar, "u", { gateway: "g/w", headers: { cookie: ["a=1", "b=2"] } }, 1).headers).toEqual({ cookie: ["a=1", "b=2", "c=1"] });
    expect(record.headers).toEqual({ Cookie: "sid=9" });
  });
});
