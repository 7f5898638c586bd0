import { describe, expect, it } from "vitest";
import { check, errorsOf, markedLine } from "./__tests__/helpers.js";
import { invalidCases } from "./__tests__/invalid-cases.js";

const CEL_NOT_CHECKED =
  'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

/**
 * Cases whose one error is Required, NotSupported, TooLong, TooMany or TypeInvalid in a kind whose
 * CRD has CEL rules: the API server then runs none of them and adds one note for the whole object.
 * The other cases with such an error are core kinds or ReferenceGrant (no CEL rules): no note.
 */
const WITH_CEL_NOTE = new Set([
  "listener port as a string",
  "Gateway without listeners",
  "allowedRoutes.namespaces.from not in the enum",
  "65 listeners",
  "method not in the enum",
  "17 hostnames",
  "redirect status code 305",
  "17 rules",
  "TLSRoute v1 without hostnames",
  "TCPRoute v1 with two rules",
  "UDPRoute without rules",
  "ListenerSet parentRef without name",
]);

describe("invalid documents: one broken rule, one diagnostic, at the right place", () => {
  it("has at least 40 cases with distinct names", () => {
    expect(invalidCases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(invalidCases.map((c) => c.name)).size).toBe(invalidCases.length);
    expect([...WITH_CEL_NOTE].filter((name) => !invalidCases.some((c) => c.name === name))).toEqual([]);
  });

  it.each(invalidCases)("$name → $code at $path", (c) => {
    const { resources, diagnostics } = check(c.text, { channel: c.channel ?? "experimental" });
    const all = errorsOf(diagnostics);
    // The note is the API server's, about the object rather than a field: asserted on its own.
    const notes = all.filter((d) => d.code === "schema.cel-not-checked");
    if (WITH_CEL_NOTE.has(c.name)) {
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatchObject({ path: "", message: CEL_NOT_CHECKED, file: "case.yaml", line: 1, column: 1, doc: 0 });
    } else {
      expect(notes).toEqual([]);
    }
    const errors = all.filter((d) => d.code !== "schema.cel-not-checked");
    expect(errors.map((d) => `${d.path}: ${d.code}`)).toEqual([`${c.path}: ${c.code}`]);
    const [d] = errors;
    expect(d).toMatchObject({ file: "case.yaml", line: markedLine(c.text), path: c.path, code: c.code, doc: 0 });
    if (c.message !== undefined) expect(d!.message).toBe(c.message);
    expect(resources).toEqual([]);
  });
});
