import { mkdtempSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { Io } from "./io.js";
import { openLog } from "./serve.js";

function ioIn(dir: string): { io: Io; err: () => string } {
  let err = "";
  const io: Io = {
    cwd: dir, readFile: (p) => readFile(p, "utf8"), readStdin: async () => "", stdout: () => {}, stderr: (t) => void (err += t),
    stdin: Readable.from([""]), stderrIsTTY: false, env: {},
  };
  return { io, err: () => err };
}

// A line over the batch size is handed to the file at once; until the file system takes it (a later
// turn of the event loop), it is what waits to be written, over a 1 KiB limit.
const big = `${"x".repeat(70 * 1024)}\n`;
const settle = () => new Promise<void>((r) => setTimeout(r, 100));

describe("serve's log files when the file does not keep up", () => {
  it("an access log drops lines past the backlog limit, counts them, and writes again once the file caught up", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-log-"));
    const { io, err } = ioIn(dir);
    const log = openLog("access.log", io, "drop", 1024);
    log.write(big);
    for (const n of [1, 2, 3]) log.write(`dropped ${n}\n`);
    await settle();
    log.write("kept\n");
    await log.close();
    expect(readFileSync(join(dir, "access.log"), "utf8")).toBe(`${big}kept\n`);
    expect(err()).toContain("access.log: the file does not keep up (over 1024 bytes waiting): dropping access log lines until it does");
    expect(err()).toContain("access.log: 3 access log line(s) dropped while the file did not keep up");
  });

  it("a record stops for good at the first line it cannot take, so line n is still request n", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-record-"));
    const { io, err } = ioIn(dir);
    const record = openLog("record.jsonl", io, "stop", 1024);
    record.write(big);
    record.write("request 1\n");
    await settle();
    record.write("request 2\n");
    await record.close();
    expect(readFileSync(join(dir, "record.jsonl"), "utf8")).toBe(big);
    expect(err().match(/recording stopped/g)).toHaveLength(1);
  });

  it("a file that keeps up gets every line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-log-ok-"));
    const { io, err } = ioIn(dir);
    const log = openLog("access.log", io, "drop");
    for (let i = 0; i < 1000; i++) log.write(`line ${i}\n`);
    await log.close();
    expect(readFileSync(join(dir, "access.log"), "utf8").split("\n")).toHaveLength(1001);
    expect(err()).toBe("");
  });
});
