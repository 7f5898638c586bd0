import { describe, expect, it } from "vitest";
import { argoPauseMs, formatDuration, parseGoDuration } from "./duration.js";

describe("Go durations", () => {
  it.each([
    ["10s", 10_000],
    ["1m", 60_000],
    ["1.5h", 5_400_000],
    ["2h45m", 9_900_000],
    ["300ms", 300],
    ["1m30.5s", 90_500],
    ["0", 0],
    ["-1m", -60_000],
    [".5s", 500],
    ["10", null], // Go needs a unit (Argo handles bare numbers itself)
    ["1d", null],
    ["", null],
    ["m", null],
  ])("%s → %s", (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });
});

describe("Argo pause durations", () => {
  it.each([
    [30, 30_000],
    ["30", 30_000],
    ["1h", 3_600_000],
    ["1500ms", 1_000], // DurationSeconds truncates to whole seconds
    ["soon", null],
    [1.5, null],
    [undefined, null],
  ])("%s → %s", (value, ms) => {
    expect(argoPauseMs(value)).toBe(ms);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [500, "500ms"],
    [1500, "1.5s"],
    [5_400_000, "1h30m"],
    [3_661_000, "1h1m1s"],
    [89_001, "1m29.001s"],
    [7_200_000, "2h"],
  ])("%s → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
