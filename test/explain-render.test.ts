/**
 * What `gwsim explain` and `gwsim route --explain` print: the steps are decision.explain word for
 * word (the JSON's lines, wrapped to 80 columns), the request as the backend receives it, the
 * port a request was taken on when its line would not show it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { wrap } from "../packages/sim/src/cli/render-decision.js";
import { runCli } from "./helpers/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "gwsim-explain-render-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const world = join(scratch, "world.yaml");
writeFileSync(
  world,
  `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: gc }
spec: { controllerName: example.com/gc }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: infra }
spec:
  gatewayClassName: gc
  listeners:
  - { name: http, port: 80, protocol: HTTP, allowedRoutes: { namespaces: { from: All } } }
---
apiVersion: v1
kind: Service
metadata: { name: books, namespace: shop }
spec: { ports: [{ port: 8080 }] }
---
apiVersion: v1
kind: Service
metadata: { name: books-canary, namespace: shop }
spec: { ports: [{ port: 8080 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: library-frontend-with-a-long-name, namespace: shop }
spec:
  parentRefs: [{ name: edge, namespace: infra }]
  hostnames: [books.example.com]
  rules:
  - name: legacy-catalogue
    matches: [{ path: { type: PathPrefix, value: /catalogue } }]
    filters:
    - type: URLRewrite
      urlRewrite: { hostname: catalog.internal, path: { type: ReplacePrefixMatch, replacePrefixMatch: /v2/catalog } }
    - type: RequestHeaderModifier
      requestHeaderModifier: { set: [{ name: X-Tenant, value: shop }] }
    - type: ResponseHeaderModifier
      responseHeaderModifier: { add: [{ name: X-Served-By, value: edge }] }
    backendRefs: [{ name: books, port: 8080, weight: 9 }, { name: books-canary, port: 8080, weight: 1 }]
  - matches: [{ path: { type: Exact, value: /search }, method: POST, headers: [{ name: x-experiment, value: on }] }]
    backendRefs: [{ name: books, port: 8080 }]
`,
);
const requests = [
  { id: "rewrite", host: "books.example.com", path: "/catalogue/1?lang=en", headers: { accept: "text/html" } },
  { id: "miss", host: "books.example.com", path: "/catalog", method: "POST", headers: { "x-experiment": "off" } },
  { id: "port", host: "books.example.com:8080", path: "/catalogue" },
  { id: "nohost", path: "/" },
];
const requestsFile = join(scratch, "requests.jsonl");
writeFileSync(requestsFile, requests.map((r) => JSON.stringify(r)).join("\n"));

/** The `- ` steps of one rendered decision, unwrapped. */
function steps(block: string): string[] {
  return block
    .replace(/\n {6}/g, " ")
    .split("\n")
    .filter((l) => l.startsWith("    - "))
    .map((l) => l.slice(6));
}

describe("route --explain and route --json --explain", () => {
  it("print the same explanation lines; text stays within 80 columns", async () => {
    const text = await runCli(["route", "-f", world, "--requests", requestsFile, "--explain"]);
    const json = await runCli(["route", "-f", world, "--requests", requestsFile, "--json", "--explain"]);
    expect(text.code).toBe(0);
    expect(json.code).toBe(0);
    const decisions = json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { explain: string[] });
    // One block per request: a line that does not start with a space begins one.
    const blocks = text.stdout.split(/\n(?=\S)/);
    expect(blocks).toHaveLength(requests.length);
    blocks.forEach((block, i) => expect(steps(block)).toEqual(decisions[i]!.explain));
    for (const line of text.stdout.split("\n")) {
      // Only a single word longer than a line may overflow.
      if (line.length > 80) expect(line.trim().split(" ").at(-1)!.length, line).toBeGreaterThan(80 - 8);
    }
    expect(text.stdout).not.toMatch(/\b(undefined|null|NaN)\b|\[object Object\]/);
  });

  it("shows the request as the backend receives it, and the response edits", async () => {
    const r = await runCli(["route", "-f", world, "--requests", requestsFile, "--explain"]);
    const block = r.stdout.split(/\n(?=\S)/)[0]!;
    expect(block).toContain("  backend receives: GET http://catalog.internal/v2/catalog/1?lang=en\n");
    expect(block).toMatch(/ {4}with headers: accept: text\/html; x-tenant: shop\n/);
    expect(block).toContain("  response headers: add x-served-by: edge\n");
  });

  it("says the port a request was taken on when its Host names another", async () => {
    const r = await runCli(["route", "-f", world, "--requests", requestsFile, "--explain"]);
    const lines = r.stdout.split(/\n(?=\S)/).map((b) => b.split("\n")[0]);
    // Each block leads with the request's id, as route's table does.
    expect(lines[2]).toBe("port  GET http://books.example.com:8080/catalogue (port 80)");
    expect(lines[0]).toBe("rewrite  GET http://books.example.com/catalogue/1?lang=en");
    expect(lines[3]).toBe("nohost  GET http://(no host)/");
  });
});

describe("explain", () => {
  it("--json carries the lines the text prints", async () => {
    const args = ["explain", "-f", world, "POST http://books.example.com/search", "-H", "x-experiment: off"];
    const text = await runCli(args);
    const json = await runCli([...args, "--json"]);
    expect(steps(text.stdout)).toEqual((JSON.parse(json.stdout) as { explain: string[] }).explain);
    // The nearest miss says which condition failed, and the route is named as everywhere else.
    expect(steps(text.stdout)).toContain('nearest miss: HTTPRoute shop/library-frontend-with-a-long-name rule 1 match 0: header x-experiment="on" expected, got "off"');
  });
});

describe("wrap", () => {
  it.each([
    ["a b c", 5, ["- a b", "  c"]],
    ["averyveryverylongword x", 5, ["- averyveryverylongword", "  x"]],
    ["", 10, ["- "]],
  ] as const)("%s in %i columns", (text, width, want) => expect(wrap(text, "- ", "  ", width)).toEqual(want));
});
