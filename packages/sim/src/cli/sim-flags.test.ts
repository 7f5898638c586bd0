import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { MIN_TEXT_WIDTH } from "../report/text.js";
import type { Io } from "./io.js";
import { main } from "./main.js";
import { MAX_TEXT_WIDTH, textWidth } from "./sim-flags.js";

describe("textWidth: --width, then $COLUMNS, then the terminal, then 80", () => {
  it.each([
    { title: "piped, nothing set", flag: undefined, env: undefined, tty: undefined, want: 80 },
    { title: "a terminal of 132", flag: undefined, env: undefined, tty: 132, want: 132 },
    { title: "$COLUMNS over the terminal", flag: undefined, env: "100", tty: 132, want: 100 },
    { title: "$COLUMNS when piped", flag: undefined, env: "100", tty: undefined, want: 100 },
    { title: "--width over both", flag: "70", env: "100", tty: 132, want: 70 },
    { title: "a narrow terminal is laid out at the minimum", flag: undefined, env: undefined, tty: 40, want: MIN_TEXT_WIDTH },
    { title: "a huge $COLUMNS is brought to the maximum", flag: undefined, env: "99999", tty: undefined, want: MAX_TEXT_WIDTH },
    { title: "a $COLUMNS that is no number is ignored", flag: undefined, env: "wide", tty: 90, want: 90 },
    { title: "an empty $COLUMNS is ignored", flag: undefined, env: "", tty: undefined, want: 80 },
    { title: "a $COLUMNS of 0 is ignored", flag: undefined, env: "0", tty: 100, want: 100 },
    { title: "--width at the minimum", flag: String(MIN_TEXT_WIDTH), env: undefined, tty: undefined, want: MIN_TEXT_WIDTH },
  ])("$title → $want", ({ flag, env, tty, want }) => {
    const io = { env: env === undefined ? {} : { COLUMNS: env }, ...(tty === undefined ? {} : { stdoutColumns: tty }) };
    expect(textWidth(flag === undefined ? {} : { width: flag }, io)).toBe(want);
  });

  it.each(["abc", "59", "0", "-80", "80.5", "1e3", "1001", ""])("--width %j is a usage error", (flag) => {
    expect(() => textWidth({ width: flag }, { env: {} })).toThrow(/--width takes a number of columns from 60 to 1000/);
  });
});

const root = join(import.meta.dirname, "../../../..");

function io(options: { columns?: number; env?: Record<string, string> } = {}): { io: Io; out: () => string; err: () => string } {
  let stdout = "";
  let stderr = "";
  return {
    io: {
      cwd: root,
      readFile: (p) => readFile(p, "utf8"),
      readStdin: async () => "",
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      stdin: Readable.from([""]),
      stderrIsTTY: false,
      env: options.env ?? {},
      ...(options.columns === undefined ? {} : { stdoutColumns: options.columns }),
    },
    out: () => stdout,
    err: () => stderr,
  };
}

const widest = (text: string) => Math.max(...text.split("\n").map((l) => [...l].length));
const world = "packages/examples/world";
const trace = "test/fixtures/traces/small.jsonl";
const commands = [
  ["replay", "-f", world, "--trace", trace],
  ["whatif", "-f", world, "--set-weight", "store/checkout/split/checkout-v2=50", "--trace", trace],
];

describe("replay and whatif text at the width the terminal or --width gives", () => {
  it.each(commands)("%s: piped output is the 80-column report; a terminal or --width lays it out wider or narrower", async (...argv) => {
    const piped = io();
    expect(await main(argv, piped.io)).toBe(0);
    const eighty = io();
    expect(await main([...argv, "--width", "80"], eighty.io)).toBe(0);
    expect(piped.out()).toBe(eighty.out());
    expect(widest(piped.out())).toBeLessThanOrEqual(80);
    for (const width of [MIN_TEXT_WIDTH, 120]) {
      const term = io({ columns: width });
      expect(await main(argv, term.io)).toBe(0);
      expect(widest(term.out())).toBeLessThanOrEqual(width);
      // Narrower always changes the layout; wider changes replay's (its bad-line warning wraps at 80), not this what-if's.
      if (width < 80 || argv[0] === "replay") expect(term.out(), "laid out at the terminal's width, not 80").not.toBe(piped.out());
      const flag = io({ columns: 200 });
      expect(await main([...argv, "--width", String(width)], flag.io)).toBe(0);
      expect(flag.out()).toBe(term.out());
    }
  });

  it.each(commands)("%s: a bad --width exits 2 before any work", async (...argv) => {
    const run = io();
    expect(await main([...argv, "--width", "40"], run.io)).toBe(2);
    expect(run.err()).toMatch(/^gwsim: --width takes a number of columns from 60 to 1000, got "40"\nusage: gwsim /);
    expect(run.out()).toBe("");
  });
});
