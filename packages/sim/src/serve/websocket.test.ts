import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { answerFraming, bodyReader, clientHandshakeHead, parseHead, type HandshakeHead } from "./websocket.js";

const head = (text: string) => parseHead(Buffer.from(text, "latin1"));
const parsed = (text: string) => {
  const h = head(text);
  if (typeof h !== "object" || !("status" in h)) throw new Error(`not a head: ${JSON.stringify(h)}`);
  return h;
};

describe("parseHead: the backend's answer to an upgrade", () => {
  it.each([
    ["no blank line yet", "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n", "incomplete"],
    ["a status line only, unfinished", "HTTP/1.1 10", "incomplete"],
  ])("%s: incomplete", (_what, text, want) => {
    expect(head(text)).toBe(want);
  });

  it.each([
    ["not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", "bad status line"],
    ["a status under 100", "HTTP/1.1 099 Odd\r\n\r\n", "bad status line"],
    ["a control character in the reason", "HTTP/1.1 101 Sw\x01itching\r\n\r\n", "bad status line"],
    ["a line without a colon", "HTTP/1.1 101 OK\r\nupgrade websocket\r\n\r\n", "bad field line"],
    ["an empty name", "HTTP/1.1 101 OK\r\n: x\r\n\r\n", "bad field line"],
    ["a space inside the name", "HTTP/1.1 101 OK\r\nx y: 1\r\n\r\n", "bad field line"],
    ["a bare LF inside a value", "HTTP/1.1 101 OK\r\nx: a\nb\r\n\r\n", "bad field line"],
    ["obs-fold", "HTTP/1.1 101 OK\r\nx: a\r\n b\r\n\r\n", "obsolete line folding"],
  ])("%s: malformed (%s)", (_what, text, why) => {
    expect(head(text)).toEqual({ malformed: why });
  });

  it("a head over 64 KiB is malformed, finished or not", () => {
    const big = `HTTP/1.1 101 OK\r\nx: ${"a".repeat(64 * 1024)}`;
    expect(head(big)).toEqual({ malformed: "head over 64 KiB" });
    expect(head(`${big}\r\n\r\n`)).toEqual({ malformed: "head over 64 KiB" });
  });

  it("keeps the reason, each repeated line, and what follows; names lower-case, space before a colon removed", () => {
    const h = parsed("HTTP/1.0 403 Go  Away\r\nSet-Cookie: a=1\r\nset-cookie:b=2 \r\nX-Y : z\r\nx-empty:\r\n\r\nbody");
    expect(h).toMatchObject({ status: 403, reason: "Go  Away", headers: { "set-cookie": ["a=1", "b=2"], "x-y": "z", "x-empty": "" } });
    expect(h.rest.toString()).toBe("body");
    expect(parsed("HTTP/1.1 101\r\n\r\n").reason).toBe("");
  });
});

describe("answerFraming (RFC 9112 §6.3)", () => {
  const framing = (status: number, headers: HandshakeHead["headers"]) => answerFraming({ status, reason: "", headers, rest: Buffer.alloc(0) });
  it.each([
    [204, { "content-length": "5" }, { length: 0 }],
    [304, {}, { length: 0 }],
    [403, { "content-length": "7" }, { length: 7 }],
    [403, { "content-length": ["7", "7, 7"] }, { length: 7 }],
    [403, { "transfer-encoding": "gzip, chunked", "content-length": "7" }, "chunked"],
    [403, { "transfer-encoding": "gzip" }, "close"],
    [403, {}, "close"],
    [403, { "content-length": ["7", "8"] }, { malformed: "bad content-length" }],
    [403, { "content-length": "-1" }, { malformed: "bad content-length" }],
  ] as const)("%i %j → %j", (status, headers, want) => {
    expect(framing(status, headers as HandshakeHead["headers"])).toEqual(want);
  });
});

/** A chunked encoding of `parts` (empty parts left out: a 0 chunk ends the body). */
const chunked = (parts: string[], trailer = "") => `${parts.filter((p) => p).map((p) => `${Buffer.byteLength(p).toString(16)};x=y\r\n${p}\r\n`).join("")}0\r\n${trailer}\r\n`;

/** Feeds `bytes` to a reader in pieces cut at `cuts`. */
function feed(read: ReturnType<typeof bodyReader>, bytes: Buffer, cuts: number[]): { out: string; done: boolean; broken: boolean } {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  let out = "";
  let done = false;
  for (const to of [...at, bytes.length]) {
    if (to < from) continue;
    const got = read(bytes.subarray(from, to));
    from = to;
    if (got === null) return { out, done, broken: true };
    out += Buffer.concat(got.out).toString("latin1");
    done ||= got.done;
    if (done) break;
  }
  return { out, done, broken: false };
}

describe("bodyReader", () => {
  it("a length: that many bytes, then done; what follows is not body", () => {
    expect(feed(bodyReader({ length: 5 }, false), Buffer.from("helloEXTRA"), [2, 7])).toEqual({ out: "hello", done: true, broken: false });
    expect(bodyReader({ length: 0 }, false)(Buffer.alloc(0))).toEqual({ out: [], done: true });
  });

  it("chunked, however the bytes are cut: decoded content, or the framed bytes up to the body's end", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary-ascii", maxLength: 40 }), { maxLength: 6 }), fc.array(fc.nat(400), { maxLength: 8 }), fc.boolean(), (parts, cuts, trailer) => {
        const framed = chunked(parts, trailer ? "x-t: 1\r\n" : "");
        const bytes = Buffer.from(`${framed}NEXT`, "latin1");
        expect(feed(bodyReader("chunked", true), bytes, cuts)).toEqual({ out: parts.join(""), done: true, broken: false });
        expect(feed(bodyReader("chunked", false), bytes, cuts)).toEqual({ out: framed, done: true, broken: false });
      }),
    );
  });

  it.each([
    ["a size that is not hex", "zz\r\nab\r\n0\r\n\r\n"],
    ["no CRLF after a chunk's data", "2\r\nabXY0\r\n\r\n"],
  ])("chunked with %s: broken", (_what, text) => {
    expect(feed(bodyReader("chunked", true), Buffer.from(text), [])).toMatchObject({ broken: true });
  });

  it("a body the backend's close ends is never done by itself", () => {
    expect(feed(bodyReader("close", false), Buffer.from("abc"), [1])).toEqual({ out: "abc", done: false, broken: false });
  });
});

describe("clientHandshakeHead", () => {
  const lines = (text: string | null) => text!.split("\r\n");
  const edits = { set: { "x-set": "rule", "set-cookie": "s=1" }, add: { "x-add": "more" }, remove: ["x-remove", "content-length", "connection"], setAll: { "set-cookie": ["s=1"] } };

  it("a 101: edits on the end-to-end fields; connection and upgrade are the backend's whatever the edits say", () => {
    const h = parsed("HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: websocket\r\nConnection: Upgrade, x-hop\r\nx-hop: 1\r\nkeep-alive: timeout=5\r\nsec-websocket-accept: abc\r\nx-set: b\r\nx-add: own\r\nx-remove: r\r\nset-cookie: a=1\r\nset-cookie: b=2\r\nx-multi: 1\r\nx-multi: 2\r\n\r\n");
    expect(lines(clientHandshakeHead(h, edits))).toEqual([
      "HTTP/1.1 101 Web Socket Protocol Handshake",
      "sec-websocket-accept: abc",
      "x-set: rule",
      "x-add: own,more",
      "set-cookie: s=1",
      "x-multi: 1",
      "x-multi: 2",
      "connection: Upgrade, x-hop",
      "upgrade: websocket",
      "",
      "",
    ]);
  });

  it("a refusal: the backend's framing kept, connection: close, the standard reason when none was sent", () => {
    const h = parsed("HTTP/1.1 403\r\ncontent-length: 7\r\nconnection: keep-alive\r\nset-cookie: a=1\r\n\r\n");
    expect(lines(clientHandshakeHead(h, { set: {}, add: { "set-cookie": "c=3" }, remove: [] }))).toEqual(["HTTP/1.1 403 Forbidden", "set-cookie: a=1", "set-cookie: c=3", "connection: close", "content-length: 7", "", ""]);
    const te = parsed("HTTP/1.1 404 Nope\r\ntransfer-encoding: chunked\r\n\r\n");
    expect(lines(clientHandshakeHead(te, { set: { "content-length": "99" }, add: {}, remove: [] }))).toEqual(["HTTP/1.1 404 Nope", "transfer-encoding: chunked", "connection: close", "", ""]);
  });

  it("an edit value that cannot go on the wire: null (the gateway answers 502)", () => {
    expect(clientHandshakeHead(parsed("HTTP/1.1 101 OK\r\n\r\n"), { set: { "x-a": "1\r\nx-injected: 2" }, add: {}, remove: [] })).toBeNull();
  });
});
