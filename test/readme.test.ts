/**
 * The README's canary commands as written: the trace synth writes, the replay, and the whatif gate whose
 * comment promises exit 1. Run in-process from source; only the trace path is replaced by a scratch file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const root = join(import.meta.dirname, "..");

interface ReadmeCommand {
  text: string;
  argv: string[];
  /** `> FILE`, when the command writes its output to a file. */
  redirect: string | null;
  /** The exit code the comment promises (`# ... exit 1 ...`), else 0. */
  exit: number;
}

/** Shell words of one command line (quotes, `\` line continuations, `# comments`, `> file`). */
function parseCommand(line: string): ReadmeCommand {
  const words: string[] = [];
  let word: string | null = null;
  let comment = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${line}`);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "#" && word === null) {
      comment = line.slice(i + 1);
      break;
    } else word = (word ?? "") + c;
  }
  if (word !== null) words.push(word);
  const at = words.indexOf(">");
  const redirect = at >= 0 ? words[at + 1]! : null;
  const argv = (at >= 0 ? words.slice(0, at) : words).slice(1);
  const promised = /\bexit (\d)\b/.exec(comment);
  return { text: line, argv, redirect, exit: promised ? Number(promised[1]) : 0 };
}

/** The `gwsim ...` commands of the README's sh blocks, continuation lines joined. */
function readmeCommands(): ReadmeCommand[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, ""));
  return blocks.flatMap((b) => b.split("\n")).filter((l) => l.startsWith("gwsim ")).map(parseCommand);
}

describe("README: analyse a canary", () => {
  const scratch = mkdtempSync(join(tmpdir(), "gwsim-readme-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const trace = join(scratch, "trace.jsonl");
  const commands = readmeCommands();
  const usesTrace = (c: ReadmeCommand) => c.argv.includes("trace.jsonl");
  const local = (argv: string[]) => argv.map((a) => (a === "trace.jsonl" ? trace : a));

  it("parses the commands it runs", () => {
    expect(parseCommand("gwsim whatif --fail-if 'a > b' -x   # exit 1: gate")).toEqual({ text: "gwsim whatif --fail-if 'a > b' -x   # exit 1: gate", argv: ["whatif", "--fail-if", "a > b", "-x"], redirect: null, exit: 1 });
    expect(parseCommand("gwsim synth --count 3 > t.jsonl").redirect).toBe("t.jsonl");
    expect(commands.filter(usesTrace).map((c) => c.argv[0])).toEqual(["replay", "replay", "whatif", "whatif"]);
    expect(commands.filter((c) => c.argv[0] === "whatif").map((c) => c.exit)).toEqual([1, 1]);
  });

  it("every command on the synthesized trace exits as its comment says", async () => {
    const synth = commands.find((c) => c.argv[0] === "synth" && c.redirect === "trace.jsonl")!;
    const made = await runCli(synth.argv, { cwd: root });
    expect(made.code).toBe(0);
    writeFileSync(trace, made.stdout);
    for (const c of commands.filter(usesTrace)) {
      const r = await runCli(local(c.argv), { cwd: root });
      // The command and its stderr ride along so a failure says which line broke and why.
      expect({ command: c.text, code: r.code, stderr: r.stderr }).toMatchObject({ command: c.text, code: c.exit });
      if (c.exit === 1) expect(r.stderr).toMatch(/^gwsim: --fail-if holds: /m);
    }
  }, 120_000);
});
