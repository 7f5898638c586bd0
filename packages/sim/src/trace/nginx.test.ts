import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixture, readAll } from "./fixtures/read-all.js";
import { COMBINED_AMBIGUOUS, COMBINED_RAW_LAYOUT, COMMON_RAW_LAYOUT, compileLogFormat, logFormatEscape, logFormatText, NAMED_LOG_FORMATS, parseCombined } from "./nginx.js";
import { matchRaw, type RawLayout } from "./raw-fields.js";

const defaults = { host: "www.example.com", gateway: "infra/edge", port: 80 };

describe("nginx trace: combined layout (nginx, NGINX Gateway Fabric, Apache)", () => {
  it("reads the fixture exactly, with --host/--gateway/--port defaults where the log has none", async () => {
    const { records, stats } = await readAll(fixture("combined.log"), defaults);
    expect(records).toEqual([
      {
        method: "GET", path: "/shop/cart?id=3", protocol: "HTTP/1.1", headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64)" },
        user: "192.0.2.1", time: "2026-11-26T10:00:00.000Z", observed: { status: 200 }, ...defaults,
      },
      {
        // nginx escapes bytes as \xHH: the UTF-8 path and the quotes in the agent come back whole.
        method: "GET", path: "/café", protocol: "HTTP/2",
        headers: { referer: "https://ref.example/", "user-agent": 'Agent "quoted"/2.0' },
        user: "192.0.2.2", time: "2026-11-26T10:00:01.000Z", observed: { status: 404 }, ...defaults,
      },
      {
        // Apache escapes quotes as \".
        method: "POST", path: "/api/submit", protocol: "HTTP/1.1", headers: { "user-agent": 'Apache-HttpClient "x" (Java)' },
        user: "2001:db8::7", time: "2026-11-26T15:00:02.000Z", observed: { status: 201 }, ...defaults,
      },
      { method: "HEAD", path: "/health", user: "198.51.100.3", time: "2026-11-26T10:00:03.000Z", observed: { status: 200 }, ...defaults },
      {
        method: "GET", path: "/a", protocol: "HTTP/1.1", headers: { "user-agent": "curl/8.5.0" },
        user: "198.51.100.4", time: "2026-11-26T10:00:04.000Z", observed: { status: 200 }, ...defaults,
      },
      {
        method: "GET", scheme: "http", host: "proxy.example:8080", path: "/x?y=1", protocol: "HTTP/1.1",
        user: "198.51.100.5", time: "2026-11-26T10:00:05.000Z", observed: { status: 200 }, gateway: "infra/edge", port: 80,
      },
      {
        method: "CONNECT", host: "upstream.example:443", protocol: "HTTP/1.1",
        user: "198.51.100.10", time: "2026-11-26T10:00:10.000Z", observed: { status: 200 }, gateway: "infra/edge", port: 80,
      },
    ]);
    expect(stats).toMatchObject({ format: "nginx", lines: 12, records: 7, bad: 4 });
    expect(stats.badSamples.map((b) => [b.line, b.reason])).toEqual([
      [7, "no request line (the client sent no request)"],
      [8, expect.stringMatching(/^request line is not "METHOD TARGET VERSION"/)],
      [9, "combined log line cut off, or a quoted field never closes"],
      [10, 'time is not a timestamp: "26/Foo/2026:10:00:09 +0000"'],
    ]);
    expect(stats.badSamples[2]!.text).toBe(
      '198.51.100.8 - - [26/Nov/2026:10:00:08 +0000] "GET /cut HTTP/1.1" 200 235 "-" "Mozilla/5.0 (compatible; Bot/2.1; +http://bot.exam',
    );
  });

  it("an nginx error log line among access lines is named as such", async () => {
    const { stats } = await readAll(
      '2026/11/26 10:00:00 [notice] 1#1: start worker process 22\n192.0.2.1 - - [26/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "-"\n',
    );
    expect(stats).toMatchObject({ format: "nginx", records: 1, bad: 1 });
    expect(stats.badSamples[0]!.reason).toBe("nginx's error log line, not an access log line");
  });

  it("Apache vhost_combined (%v:%p before the client): the virtual host is the host, the client the user", async () => {
    const { records, stats } = await readAll(
      'shop.example.com:443 2001:db8::7 - - [26/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl/8"\n' +
        'shop.example.com:80 192.0.2.1 - frank [26/Nov/2026:10:00:01 +0000] "GET /b HTTP/1.1" 200 12 "-" "curl/8"\n' +
        // combined with an identd name: no vhost
        '192.0.2.2 ident frank [26/Nov/2026:10:00:02 +0000] "GET /c HTTP/1.1" 200 12 "-" "curl/8"\n',
    );
    expect(stats).toMatchObject({ format: "nginx", records: 3, bad: 0 });
    expect(records.map((r) => [r.host, r.user, r.path])).toEqual([
      ["shop.example.com", "2001:db8::7", "/a"],
      ["shop.example.com", "192.0.2.1", "/b"],
      [undefined, "192.0.2.2", "/c"],
    ]);
  });

  it("an HTTP/2 POST from a grpc-* client to /Service/Method is read as a gRPC call", async () => {
    const { records } = await readAll('192.0.2.1 - - [26/Nov/2026:10:00:00 +0000] "POST /shop.v1.Cart/Add HTTP/2.0" 200 12 "-" "grpc-node-js/1.10.0"\n');
    expect(records[0]!.headers).toEqual({ "user-agent": "grpc-node-js/1.10.0", "content-type": "application/grpc" });
  });

  it("NGINX Gateway Fabric's stream-main lines among its combined ones are connections: TLS with its SNI, TCP, UDP", async () => {
    const text = [
      '10.0.0.1 - - [26/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl/8"',
      '10.0.0.2 [26/Nov/2026:10:00:01 +0000] TCP 200 5120 730 1.204 "secure.example.com"',
      '[2001:db8::3]:5000 [26/Nov/2026:10:00:02 +0000] TCP 502 0 0 0.001 ""',
      '10.0.0.4 [26/Nov/2026:10:00:03 +0000] UDP 200 10 10 0.000 ""',
      '10.0.0.5 [26/Nov/2026:10:00:04 +0000] SCTP 200 10 10 0.000 ""',
    ].join("\n");
    const { records, stats } = await readAll(text);
    expect(stats).toMatchObject({ format: "nginx", records: 4, bad: 1 });
    expect(stats.badSamples.map((s) => [s.line, s.reason])).toEqual([[5, "not in the combined log layout"]]);
    expect(records.slice(1)).toEqual([
      { scheme: "tls", sni: "secure.example.com", user: "10.0.0.2", time: "2026-11-26T10:00:01.000Z" },
      { scheme: "tcp", user: "2001:db8::3", time: "2026-11-26T10:00:02.000Z" },
      { scheme: "udp", user: "10.0.0.4", time: "2026-11-26T10:00:03.000Z" },
    ]);
  });

  // Escaping as documented: nginx (log_format escape=default) writes '"', '\\', and bytes below 32 or
  // above 126 as \xHH; Apache (mod_log_config) writes '"' and '\\' backslashed, \n \r \t \b \v as such,
  // and other non-printable bytes as \xhh.
  const hex = (b: number) => b.toString(16).padStart(2, "0");
  const nginxEscape = (s: string) =>
    [...Buffer.from(s)].map((b) => (b === 0x22 || b === 0x5c || b < 0x20 || b > 0x7e ? `\\x${hex(b).toUpperCase()}` : String.fromCharCode(b))).join("");
  const APACHE_NAMED: Record<number, string> = { 0x22: '\\"', 0x5c: "\\\\", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t", 0x08: "\\b", 0x0b: "\\v" };
  const apacheEscape = (s: string) =>
    [...Buffer.from(s)].map((b) => APACHE_NAMED[b] ?? (b < 0x20 || b > 0x7e ? `\\x${hex(b)}` : String.fromCharCode(b))).join("");
  it.each([["nginx", nginxEscape], ["Apache", apacheEscape]])("property: %s-escaped paths and agents read back as sent", (_name, escape) => {
    // A request target has no spaces or controls; a header value may hold a tab and any UTF-8.
    const pathArb = fc.string({ unit: fc.constantFrom(..."a/\"\\x22%é日~?="), maxLength: 20 }).map((s) => `/${s}`);
    const agentArb = fc.string({ unit: fc.constantFrom(..."a/ \"\\x22%é日\t\v~()"), minLength: 1, maxLength: 20 }).filter((s) => s !== "-");
    fc.assert(
      fc.property(pathArb, agentArb, (path, agent) => {
        const line = `192.0.2.1 - - [26/Nov/2026:10:00:00 +0000] "${escape(`GET ${path} HTTP/1.1`)}" 200 5 "-" "${escape(agent)}"`;
        const r = parseCombined(line);
        if (typeof r === "string" || r === null) throw new Error(`${r}: ${line}`);
        expect(r.path).toBe(path);
        expect(r.headers?.["user-agent"]).toBe(agent);
      }),
      { numRuns: 400 },
    );
  });

  it("the combined log_format string compiles to the same parser", () => {
    const compiled = compileLogFormat(NAMED_LOG_FORMATS.combined!);
    expect("parser" in compiled && compiled.parser.parse === parseCombined).toBe(true);
  });
});

describe("nginx trace: custom log_format", () => {
  const directive = `log_format gw escape=default '$remote_addr [$time_iso8601] "$request_method $scheme://$host$request_uri" $status $request_time '
                   '"$http_x_canary" $upstream_addr $proxy_host rid=$request_id';`;

  it("compiles an nginx.conf directive and reads lines in that layout", async () => {
    const { records, stats } = await readAll(fixture("custom-nginx.log"), { logFormat: directive });
    expect(records).toEqual([
      {
        method: "GET", scheme: "https", host: "shop.example.com", path: "/cart?x=1", headers: { "x-canary": "on" }, id: "abc123",
        user: "10.1.2.3", time: "2026-11-26T10:00:00.000Z",
        observed: { status: 200, upstreamHost: "10.244.0.6:8080", backend: "default_shop_80" },
      },
      {
        method: "POST", scheme: "http", host: "api.example.com", path: "/v1", id: "def",
        user: "10.1.2.4", time: "2026-11-26T10:00:01.000Z", observed: { status: 502 },
      },
    ]);
    expect(stats).toMatchObject({ format: "nginx", lines: 3, records: 2, bad: 1 });
    expect(stats.badSamples).toEqual([
      { line: 3, text: "10.1.2.5 2026-11-26T10:00:02+00:00 GET /no-brackets 200", reason: "does not match the log format" },
    ]);
  });

  it("reads escape=json layouts, with JSON-escaped quotes and backslashes", async () => {
    const format = `log_format j escape=json '{"ts":"$msec","m":"$request_method","u":"$request_uri","h":"$http_host","ua":"$http_user_agent"}';`;
    const line = String.raw`{"ts":"1764151200.250","m":"GET","u":"/q?a=\"b\"","h":"h.example:8080","ua":"x\\y"}`;
    const { records } = await readAll(line + "\n", { format: "nginx", logFormat: format });
    expect(records).toEqual([
      { method: "GET", path: '/q?a="b"', host: "h.example:8080", headers: { "user-agent": "x\\y" }, time: "2025-11-26T10:00:00.250Z" },
    ]);
  });

  it.each([
    ["combined", NAMED_LOG_FORMATS.combined],
    [`log_format main '$a - $b'\n  '"$c"';`, '$a - $b"$c"'],
    [`'$a' "$b"`, "$a$b"],
    ["$remote_addr $status", "$remote_addr $status"],
  ])("log_format text of %j", (input, text) => {
    expect(logFormatText(input)).toBe(text);
  });

  it("a format without variables is an error, and the reader reports every line with it", async () => {
    expect(compileLogFormat("just text")).toEqual({ error: "the log format has no $variables" });
    const { records, stats } = await readAll("a\nb\n", { logFormat: "just text" });
    expect(records).toEqual([]);
    expect(stats.bad).toBe(2);
    expect(stats.badSamples[0]!.reason).toBe("invalid log format: the log format has no $variables");
  });

  it("a layout that logs no request path: each line is bad, not a request for nothing", async () => {
    const { records, stats } = await readAll("10.0.0.1 GET 200\n10.0.0.1 CONNECT 200\n", { logFormat: "$remote_addr $request_method $status" });
    expect(records).toEqual([{ method: "CONNECT", user: "10.0.0.1", observed: { status: 200 } }]);
    expect(stats.badSamples.map((s) => [s.line, s.reason])).toEqual([[1, "no request path in the line (no $request, $request_uri or $uri)"]]);
  });

  it("$uri$is_args$args and ${braced} variables", () => {
    const compiled = compileLogFormat('${remote_addr} "$request_method $uri$is_args$args" $status');
    if ("error" in compiled) throw new Error(compiled.error);
    expect(compiled.variables).toEqual(["remote_addr", "request_method", "uri", "is_args", "args", "status"]);
    expect(compiled.parser.parse('10.0.0.1 "GET /a/b?c=1&d=2" 204')).toEqual({
      method: "GET", path: "/a/b?c=1&d=2", user: "10.0.0.1", observed: { status: 204 },
    });
    expect(compiled.parser.parse('10.0.0.1 "GET /a/b" 204')).toEqual({
      method: "GET", path: "/a/b", user: "10.0.0.1", observed: { status: 204 },
    });
  });
});

describe("values written unescaped (nginx escape=none, writers that escape nothing): quoted fields read from both ends", () => {
  const line = (request: string, referer: string, agent: string, extra = "") =>
    `203.0.113.9 - - [26/Nov/2026:10:00:00 +0000] "${request}" 200 512 "${referer}" "${agent}"${extra}`;

  it.each([
    ["a quote in the User-Agent", line("GET /a HTTP/1.1", "-", 'Mozilla/5.0 "compatible" x'), "/a", 'Mozilla/5.0 "compatible" x'],
    ["a quote then a space in the User-Agent", line("GET /a HTTP/1.1", "-", 'curl" x'), "/a", 'curl" x'],
    ["an agent ending in a quote", line("GET /a HTTP/1.1", "https://r.example/", 'say "hi"'), "/a", 'say "hi"'],
    ["a quote in the path", line('GET /search?q="x" HTTP/1.1', "-", "curl/8"), '/search?q="x"', "curl/8"],
    ["a backslash is the client's, not an escape", line('GET /a"\\x41 HTTP/1.1', "-", 'C:\\x "y"'), '/a"\\x41', 'C:\\x "y"'],
  ])("combined: %s", (_name, text, path, agent) => {
    const r = parseCombined(text);
    if (typeof r === "string" || r === null) throw new Error(String(r));
    expect(r.path).toBe(path);
    expect(r.headers?.["user-agent"]).toBe(agent);
  });

  it("common (no referer or agent) with a quote in the path", () => {
    const r = parseCombined('203.0.113.9 - - [26/Nov/2026:10:00:00 +0000] "GET /a"b HTTP/1.1" 200 512');
    expect(r).toMatchObject({ method: "GET", path: '/a"b' });
  });

  it('an agent holding " " (or followed by quoted fields) is ambiguous: bad, naming --log-format escape=none', () => {
    expect(parseCombined(line("GET /a HTTP/1.1", "-", 'say "a" "b"'))).toBe(COMBINED_AMBIGUOUS);
    expect(parseCombined(line("GET /a HTTP/1.1", "-", 'say "a', ' "10.0.0.1"'))).toBe(COMBINED_AMBIGUOUS);
  });

  it("fields after the agent (nginx main, upstream times) still read when nothing is unescaped", () => {
    const r = parseCombined(line("GET /a HTTP/1.1", "-", "curl/8", ' "10.0.0.1" rt=0.003 uct="0.001" urt="0.002, 0.001"'));
    expect(r).toMatchObject({ path: "/a", headers: { "user-agent": "curl/8" } });
  });

  it("a line cut inside the agent stays bad (the Apache sample's one cut line)", () => {
    expect(parseCombined(line("GET /a HTTP/1.1", "-", "x").slice(0, -3))).toBe("combined log line cut off, or a quoted field never closes");
    expect(parseCombined(`${line("GET /a HTTP/1.1", "-", "x").slice(0, -1)} "y`)).toBe("combined log line cut off, or a quoted field never closes");
  });

  const none = `log_format raw escape=none '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                    '"$http_referer" "$http_user_agent" "$http_x_forwarded_for" "$http_x_canary"';`;

  it.each([
    [none, "none"],
    [`escape=none '$remote_addr "$request"'`, "none"],
    [`log_format j escape=json '{"a":"$remote_addr"}';`, "json"],
    [`log_format d escape=default '$remote_addr';`, "default"],
    ["$remote_addr $request", "default"],
    ["combined", "default"],
  ])("logFormatEscape(%j) is %s", (format, escape) => {
    expect(logFormatEscape(format)).toBe(escape);
  });

  it("--log-format with escape=none: the User-Agent may hold quotes and \" \"; the other quoted fields end at their first closing quote", async () => {
    const text = [
      line('GET /a"b HTTP/1.1', "-", 'say "a" "b" \\x22', ' "198.51.100.1, 10.0.0.1" "on"'),
      line("GET /c HTTP/1.1", "https://r.example/", "curl/8", ' "-" "-"'),
    ].join("\n");
    const { records, stats } = await readAll(text, { logFormat: none });
    expect(stats).toMatchObject({ format: "nginx", records: 2, bad: 0 });
    expect(records[0]).toMatchObject({
      path: '/a"b', user: "203.0.113.9",
      headers: { "user-agent": 'say "a" "b" \\x22', "x-forwarded-for": "198.51.100.1, 10.0.0.1", "x-canary": "on" },
    });
    expect(records[1]!.headers).toEqual({ referer: "https://r.example/", "user-agent": "curl/8" });
  });

  it("a request target with a quote under escape=none ($request_method $uri$is_args$args)", () => {
    const compiled = compileLogFormat(`escape=none '$remote_addr "$request_method $uri$is_args$args" $status "$http_user_agent"'`);
    if ("error" in compiled) throw new Error(compiled.error);
    expect(compiled.parser.parse('10.0.0.1 "GET /a"b?q="c" 200 "x "y" z"')).toMatchObject({
      method: "GET", path: '/a"b?q="c', headers: { "user-agent": 'x "y" z' },
    });
  });

  it("the combined layout under escape=none is compiled, not the escaped combined parser", () => {
    const compiled = compileLogFormat(`log_format c escape=none '${NAMED_LOG_FORMATS.combined}';`);
    if ("error" in compiled) throw new Error(compiled.error);
    expect(compiled.parser.parse).not.toBe(parseCombined);
    expect(compiled.parser.parse(line("GET /a HTTP/1.1", "-", 'say "a" "b" \\n'))).toMatchObject({ headers: { "user-agent": 'say "a" "b" \\n' } });
  });

  // Any character a client can send, quotes, backslashes and spaces included.
  const agentArb = fc.string({ unit: fc.constantFrom(..."aZ/ \"\\x22%é日\t();-"), minLength: 1, maxLength: 24 }).filter((s) => s !== "-");
  const pathArb = fc.string({ unit: fc.constantFrom(..."a/\"\\%é日?=#-"), maxLength: 16 }).map((s) => `/${s}`);
  const xffArb = fc.constantFrom("-", "198.51.100.1", "198.51.100.1, 10.0.0.2");

  it("property: escape=none layouts read any User-Agent and path back as sent", () => {
    const compiled = compileLogFormat(none);
    if ("error" in compiled) throw new Error(compiled.error);
    fc.assert(
      fc.property(pathArb, agentArb, xffArb, (path, agent, xff) => {
        const r = compiled.parser.parse(line(`GET ${path} HTTP/1.1`, "https://r.example/x?y=1", agent, ` "${xff}" "-"`));
        if (typeof r === "string" || r === null) throw new Error(String(r));
        expect(r.path).toBe(path);
        expect(r.headers?.["user-agent"]).toBe(agent);
        expect(r.headers?.["x-forwarded-for"]).toBe(xff === "-" ? undefined : xff);
      }),
      { numRuns: 400 },
    );
  });

  it("property: combined written raw reads back any agent with quotes (but no backslash: an escape, then) and path, or says it is ambiguous", () => {
    fc.assert(
      fc.property(pathArb.map((p) => p.replace(/\\/g, "")), agentArb.map((a) => a.replace(/\\/g, "")).filter((a) => a !== "-" && a !== ""), (path, agent) => {
        const text = line(`GET ${path} HTTP/1.1`, "-", agent);
        const r = parseCombined(text);
        if (typeof r === "string" || r === null) {
          // Only an agent that holds '" "' or is followed by what reads as fields after it.
          expect(r, text).toBe(COMBINED_AMBIGUOUS);
          expect(agent).toMatch(/" "|" /);
          return;
        }
        expect(r.path, text).toBe(path);
        if (/" ./.test(agent)) return; // an agent then a field ('x" y') is read as such by the escaped split: ambiguous by nature
        expect(r.headers?.["user-agent"], text).toBe(agent);
      }),
      { numRuns: 600 },
    );
  });
});


describe("values written raw are read in linear time (raw-fields.ts): as the one-regex reading, without its backtracking", () => {
  /** The one regex over the whole layout that matchRaw stands for (what the readers ran before). */
  const wholeRegex = (layout: RawLayout) =>
    new RegExp(`^${layout.head.source}${layout.fields.map((f) => `${f.greedy ? "(.*)" : "(.*?)"}${f.tail.source}`).join("")}`);
  const layoutOf = (format: string): RawLayout => {
    const compiled = compileLogFormat(format);
    if ("error" in compiled || !compiled.rawLayout) throw new Error(`no raw layout for ${format}`);
    return compiled.rawLayout;
  };
  const LAYOUTS: [string, RawLayout][] = [
    ["combined written raw", COMBINED_RAW_LAYOUT],
    ["common written raw", COMMON_RAW_LAYOUT],
    ["escape=none combined", layoutOf(`log_format c escape=none '${NAMED_LOG_FORMATS.combined}';`)],
    ["escape=none main", layoutOf(`log_format m escape=none '${NAMED_LOG_FORMATS.main}';`)],
    ["escape=none, the agent between two quoted fields, a field after", layoutOf(`escape=none '"$request" "$http_user_agent" "$http_referer" $status'`)],
  ];
  const prefix = '203.0.113.9 - - [26/Nov/2026:10:00:00 +0000] "';
  // Lines built of the pieces that make the readings ambiguous: quotes, `" "`, statuses, brackets.
  const lineArb = fc
    .tuple(fc.constantFrom(prefix, '"', "a b c [t] \"", "1.2.3.4 - u [ [x] \""), fc.array(fc.constantFrom('"', " ", '" "', '" 200 12 "', "200", " 12", "-", "a", "[", "]", "GET /x"), { maxLength: 24 }))
    .map(([head, parts]) => head + parts.join(""));

  it.each(LAYOUTS)("%s: the same groups as the whole regex on lines of quotes, statuses and brackets", (_name, layout) => {
    const re = wholeRegex(layout);
    fc.assert(
      fc.property(lineArb, (line) => {
        const m = re.exec(line);
        expect(matchRaw(layout, line), line).toEqual(m ? m.slice(1) : null);
      }),
      { numRuns: 3000 },
    );
  });

  // A line of 100 KB built to make a backtracking regex try each quote against each other.
  const KB100 = 100 * 1024;
  const fill = (unit: string, head = prefix) => head + unit.repeat(Math.ceil((KB100 - head.length) / unit.length));
  const PATHOLOGICAL: [string, string][] = [
    ["quotes", fill('"')],
    ['" "', fill('" ')],
    ["statuses between quotes", fill('" 200 1 " " ')],
    ["statuses, then a closing quote", `${fill('" 200 1 "')}"`],
    ["brackets", fill(" [", "1.2.3.4 - u")],
  ];
  it.each(LAYOUTS)("%s: a 100 KB line full of quotes takes at most (fields + 2) steps a character", (_name, layout) => {
    for (const [what, line] of PATHOLOGICAL) {
      const counter = { steps: 0 };
      matchRaw(layout, line, counter);
      expect(counter.steps, what).toBeLessThanOrEqual((layout.fields.length + 2) * line.length);
      expect(counter.steps, what).toBeGreaterThan(0);
    }
  });

  it("the readers give such lines a reason (no request in them) rather than running on", () => {
    const none = compileLogFormat(`log_format m escape=none '${NAMED_LOG_FORMATS.main}';`);
    if ("error" in none) throw new Error(none.error);
    for (const [what, line] of PATHOLOGICAL) {
      expect(typeof parseCombined(line), what).toBe("string");
      expect(typeof none.parser.parse(line), what).toBe("string");
    }
  });

  it("a line of many ' [' (the user field's candidates) is bad, read in one pass of its brackets", () => {
    expect(parseCombined(fill(" [", "1.2.3.4 - u"))).toBe("not in the combined log layout");
    expect(parseCombined(`1.2.3.4 - u${" [x".repeat(30_000)}`)).toBe("not in the combined log layout");
  });
});
