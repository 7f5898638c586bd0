import { mkdtempSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { Io } from "./io.js";
import { main } from "./main.js";

const world = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: c
  listeners: [{name: http, protocol: HTTP, port: 80}]
`;

describe("gwsim route output", () => {
  it("waits for stdout to drain every 256 decisions, so a slow reader bounds memory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-route-"));
    writeFileSync(join(dir, "w.yaml"), world);
    const count = 1000;
    writeFileSync(join(dir, "r.jsonl"), Array.from({ length: count }, (_, i) => `{"id":${i},"host":"a.test","path":"/${i}"}\n`).join(""));
    let lines = 0;
    const atWait: number[] = [];
    const io: Io = {
      cwd: dir,
      readFile: (p) => readFile(p, "utf8"),
      readStdin: async () => "",
      stdout: (t) => void (lines += t.split("\n").length - 1),
      stderr: () => {},
      stdoutDrained: async () => {
        atWait.push(lines);
        await new Promise<void>((resolve) => setImmediate(resolve));
      },
      stdin: Readable.from([""]),
      stderrIsTTY: false,
      env: {},
    };
    expect(await main(["route", "-f", "w.yaml", "--requests", "r.jsonl", "--json"], io)).toBe(0);
    expect(lines).toBe(count);
    expect(atWait).toEqual([256, 512, 768]);
  });
});
