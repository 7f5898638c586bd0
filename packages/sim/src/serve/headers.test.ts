import { describe, expect, it } from "vitest";
import type { HeaderEdits } from "@gwsim/core";
import { applyHeaderEdits, responseHeaderList, type HeaderRecord } from "./headers.js";

const OWN = ["own=1", "own2=2; Expires=Thu, 22 Oct 2026 07:28:00 GMT"];

describe("applyHeaderEdits: set-cookie lines from setAll/addAll", () => {
  it.each<{ about: string; headers: HeaderRecord; edits: HeaderEdits; want: HeaderRecord }>([
    {
      about: "two added cookies are two lines after the backend's",
      headers: { "set-cookie": OWN },
      edits: { set: {}, add: { "set-cookie": "a=1,b=2" }, remove: [], setAll: {}, addAll: { "set-cookie": ["a=1", "b=2"] } },
      want: { "set-cookie": [...OWN, "a=1", "b=2"] },
    },
    {
      about: "two added cookies on a response without any",
      headers: {},
      edits: { set: {}, add: { "set-cookie": "a=1,b=2" }, remove: [], setAll: {}, addAll: { "set-cookie": ["a=1", "b=2"] } },
      want: { "set-cookie": ["a=1", "b=2"] },
    },
    {
      about: "set then add: the backend's cookies replaced by two lines",
      headers: { "set-cookie": OWN },
      edits: { set: { "set-cookie": "a=1,b=2" }, add: {}, remove: [], setAll: { "set-cookie": ["a=1", "b=2"] }, addAll: {} },
      want: { "set-cookie": ["a=1", "b=2"] },
    },
    {
      about: "other fields still fold with \",\"",
      headers: { "x-multi": ["v1", "v2"] },
      edits: { set: { "x-s": "1,2" }, add: { "x-multi": "v3,v4" }, remove: [], setAll: { "x-s": ["1", "2"] }, addAll: { "x-multi": ["v3", "v4"] } },
      want: { "x-multi": "v1,v2,v3,v4", "x-s": "1,2" },
    },
    {
      about: "without setAll/addAll (hand-built, older records) each value is one line",
      headers: { "set-cookie": "own=1" },
      edits: { set: {}, add: { "set-cookie": "a=1" }, remove: [] },
      want: { "set-cookie": ["own=1", "a=1"] },
    },
    {
      about: "a name only in the joined map still applies",
      headers: {},
      edits: { set: { "x-only": "1" }, add: {}, remove: [], setAll: {}, addAll: {} },
      want: { "x-only": "1" },
    },
    {
      about: "remove drops every line",
      headers: { "set-cookie": OWN },
      edits: { set: {}, add: {}, remove: ["Set-Cookie"], setAll: {}, addAll: {} },
      want: {},
    },
  ])("$about", ({ headers, edits, want }) => {
    expect(applyHeaderEdits(headers, edits)).toEqual(want);
  });

  it("responseHeaderList writes each cookie as its own name/value pair", () => {
    const edits: HeaderEdits = { set: {}, add: { "set-cookie": "a=1,b=2" }, remove: [], setAll: {}, addAll: { "set-cookie": ["a=1", "b=2"] } };
    expect(responseHeaderList(["set-cookie", "own=1", "content-type", "text/plain"], edits)).toEqual(["set-cookie", "own=1", "set-cookie", "a=1", "set-cookie", "b=2", "content-type", "text/plain"]);
  });
});
