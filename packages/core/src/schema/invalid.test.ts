import { describe, expect, it } from "vitest";
import { check, errorsOf, markedLine } from "./__tests__/helpers.js";
import { invalidCases } from "./__tests__/invalid-cases.js";

describe("invalid documents: one broken rule, one diagnostic, at the right place", () => {
  it("has at least 40 cases with distinct names", () => {
    expect(invalidCases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(invalidCases.map((c) => c.name)).size).toBe(invalidCases.length);
  });

  it.each(invalidCases)("$name → $code at $path", (c) => {
    const { resources, diagnostics } = check(c.text, { channel: c.channel ?? "experimental" });
    const errors = errorsOf(diagnostics);
    expect(errors.map((d) => `${d.path}: ${d.code}`)).toEqual([`${c.path}: ${c.code}`]);
    const [d] = errors;
    expect(d).toMatchObject({ file: "case.yaml", line: markedLine(c.text), path: c.path, code: c.code, doc: 0 });
    if (c.message !== undefined) expect(d!.message).toBe(c.message);
    expect(resources).toEqual([]);
  });
});
