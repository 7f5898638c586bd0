import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HeaderEdits } from "../../model/decision.js";
import type { HeaderModifier } from "../../resolve/graph.js";
import { answerHeaderEdits, composeHeaderEdits } from "./headers.js";

const modifier = (m: Partial<HeaderModifier>): HeaderModifier => ({ set: [], add: [], remove: [], ...m });
const compose = (...mods: HeaderModifier[]): HeaderEdits | null => mods.reduce<HeaderEdits | null>((prev, m) => composeHeaderEdits(prev, m), null);

const EXPIRES = "a=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT";

describe("composeHeaderEdits keeps each added value a line of its own (setAll/addAll)", () => {
  it.each([
    {
      about: "two filters add set-cookie: two cookies, the joined form kept in add",
      mods: [modifier({ add: [{ name: "Set-Cookie", value: EXPIRES }] }), modifier({ add: [{ name: "set-cookie", value: "b=2" }] })],
      want: { set: {}, add: { "set-cookie": `${EXPIRES},b=2` }, remove: [], setAll: {}, addAll: { "set-cookie": [EXPIRES, "b=2"] } },
    },
    {
      about: "set then add: both lines replace the response's",
      mods: [modifier({ set: [{ name: "set-cookie", value: "a=1" }] }), modifier({ add: [{ name: "Set-Cookie", value: "b=2" }] })],
      want: { set: { "set-cookie": "a=1,b=2" }, add: {}, remove: [], setAll: { "set-cookie": ["a=1", "b=2"] }, addAll: {} },
    },
    {
      about: "remove then add: only the added line is left",
      mods: [modifier({ remove: ["Set-Cookie"] }), modifier({ add: [{ name: "set-cookie", value: "b=2" }] })],
      want: { set: { "set-cookie": "b=2" }, add: {}, remove: [], setAll: { "set-cookie": ["b=2"] }, addAll: {} },
    },
    {
      about: "add then set: the set wins",
      mods: [modifier({ add: [{ name: "set-cookie", value: "a=1" }] }), modifier({ set: [{ name: "set-cookie", value: "b=2" }] })],
      want: { set: { "set-cookie": "b=2" }, add: {}, remove: [], setAll: { "set-cookie": ["b=2"] }, addAll: {} },
    },
    {
      about: "add then remove: nothing added",
      mods: [modifier({ add: [{ name: "set-cookie", value: "a=1" }] }), modifier({ remove: ["SET-COOKIE"] })],
      want: { set: {}, add: {}, remove: ["set-cookie"], setAll: {}, addAll: {} },
    },
    {
      about: "within one filter only the first entry per name counts (HTTPHeader listMapKey)",
      mods: [modifier({ add: [{ name: "set-cookie", value: "a=1" }, { name: "Set-Cookie", value: "b=2" }] })],
      want: { set: {}, add: { "set-cookie": "a=1" }, remove: [], setAll: {}, addAll: { "set-cookie": ["a=1"] } },
    },
  ])("$about", ({ mods, want }) => {
    expect(compose(...mods)).toEqual(want);
  });

  it("edits made without setAll/addAll (hand-built, older records) count each value as one line", () => {
    const prev: HeaderEdits = { set: { "x-s": "1" }, add: { "set-cookie": "a=1" }, remove: [] };
    expect(composeHeaderEdits(prev, modifier({ add: [{ name: "set-cookie", value: "b=2" }, { name: "x-s", value: "2" }] }))).toEqual({
      set: { "x-s": "1,2" },
      add: { "set-cookie": "a=1,b=2" },
      remove: [],
      setAll: { "x-s": ["1", "2"] },
      addAll: { "set-cookie": ["a=1", "b=2"] },
    });
  });

  it("never changes the edits it composes onto", () => {
    const prev = compose(modifier({ add: [{ name: "set-cookie", value: "a=1" }] }))!;
    const copy = structuredClone(prev);
    composeHeaderEdits(prev, modifier({ add: [{ name: "set-cookie", value: "b=2" }] }));
    expect(prev).toEqual(copy);
  });
});

describe("answerHeaderEdits: the gateway's own answer", () => {
  it("its headers are set lines, the filters' edits on top", () => {
    const edits = compose(modifier({ add: [{ name: "set-cookie", value: "a=1" }] }), modifier({ add: [{ name: "set-cookie", value: "b=2" }] }));
    expect(answerHeaderEdits({ "access-control-allow-origin": "https://a.example" }, edits)).toEqual({
      set: { "access-control-allow-origin": "https://a.example" },
      add: { "set-cookie": "a=1,b=2" },
      remove: [],
      setAll: { "access-control-allow-origin": ["https://a.example"] },
      addAll: { "set-cookie": ["a=1", "b=2"] },
    });
    expect(answerHeaderEdits({ vary: "origin" }, null)).toEqual({ set: { vary: "origin" }, add: {}, remove: [], setAll: { vary: ["origin"] }, addAll: {} });
  });
});

/** A response's field lines by lower-case name. */
type Lines = Record<string, string[]>;

/** One modifier applied to a response's lines as the spec says: set, add (appends a line), remove. */
function applyModifier(lines: Lines, m: HeaderModifier): Lines {
  const out: Lines = { ...lines };
  const first = (list: { name: string; value: string }[]) => list.filter((h, i) => list.findIndex((o) => o.name.toLowerCase() === h.name.toLowerCase()) === i);
  for (const { name, value } of first(m.set)) out[name.toLowerCase()] = [value];
  for (const { name, value } of first(m.add)) out[name.toLowerCase()] = [...(out[name.toLowerCase()] ?? []), value];
  for (const name of m.remove) delete out[name.toLowerCase()];
  return out;
}

/** Composed edits applied once, line by line (what serve does for set-cookie). */
function applyEdits(lines: Lines, e: HeaderEdits): Lines {
  const out: Lines = { ...lines };
  for (const [name, values] of Object.entries(e.setAll ?? {})) out[name] = [...values];
  for (const [name, values] of Object.entries(e.addAll ?? {})) out[name] = [...(out[name] ?? []), ...values];
  for (const name of e.remove) delete out[name];
  return out;
}

const headerName = fc.constantFrom("set-cookie", "Set-Cookie", "x-a", "X-A", "x-b");
const headerValue = fc.constantFrom("a=1", "b=2", EXPIRES, "v");
const entries = fc.array(fc.record({ name: headerName, value: headerValue }), { maxLength: 3 });
const arbModifier = fc.record({ set: entries, add: entries, remove: fc.array(headerName, { maxLength: 2 }) });
const response = fc.dictionary(fc.constantFrom("set-cookie", "x-a", "x-b", "x-c"), fc.array(headerValue, { minLength: 1, maxLength: 2 }));

describe("composeHeaderEdits properties", () => {
  it("composed edits applied once equal the modifiers applied in turn, line for line", () => {
    fc.assert(
      fc.property(response, fc.array(arbModifier, { minLength: 1, maxLength: 3 }), (lines, mods) => {
        const inTurn = mods.reduce(applyModifier, lines);
        expect(applyEdits(lines, compose(...mods)!)).toEqual(inTurn);
      }),
    );
  });

  it("set/add are setAll/addAll joined with \",\", name for name", () => {
    fc.assert(
      fc.property(fc.array(arbModifier, { minLength: 1, maxLength: 3 }), (mods) => {
        const e = compose(...mods)!;
        expect(Object.keys(e.setAll!).sort()).toEqual(Object.keys(e.set).sort());
        expect(Object.keys(e.addAll!).sort()).toEqual(Object.keys(e.add).sort());
        for (const name of Object.keys(e.set)) expect(e.setAll![name]!.join(",")).toBe(e.set[name]);
        for (const name of Object.keys(e.add)) expect(e.addAll![name]!.join(",")).toBe(e.add[name]);
      }),
    );
  });
});
