/**
 * WebSocket clients and frames for live tests: an HTTP/1.1 upgrade on a raw socket (the answer
 * head exactly as sent) and an RFC 8441 extended CONNECT over HTTP/2, with bounded waits on what
 * arrives. Every wait ends within `WAIT_MS`.
 */
import http2 from "node:http2";
import net from "node:net";

export const WAIT_MS = 3000;
export const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
export const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** A client's text frame (RFC 6455 §5.2: FIN, opcode 1, masked; payload under 126 bytes). */
export function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
}

/** A server's text frame (unmasked). */
export function serverFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}

/** The first frame in `buf` (payload under 126 bytes), unmasked, with its length; null while incomplete. */
export function readFrame(buf: Buffer): { text: string; masked: boolean; size: number } | null {
  if (buf.length < 2) return null;
  const masked = (buf[1]! & 0x80) !== 0;
  const length = buf[1]! & 0x7f;
  const start = 2 + (masked ? 4 : 0);
  if (buf.length < start + length) return null;
  const payload = Buffer.from(buf.subarray(start, start + length));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buf[2 + (i % 4)]!;
  return { text: payload.toString(), masked, size: start + length };
}

export interface Collected {
  bytes(): Buffer;
  ended(): boolean;
  until(check: (b: Buffer) => boolean, what: string): Promise<void>;
}

/** Bytes read from a stream so far, and a bounded wait for a condition on them. */
export function collect(stream: NodeJS.ReadableStream): Collected {
  let bytes = Buffer.alloc(0);
  let ended = false;
  const waiters = new Set<() => void>();
  stream.on("data", (c: Buffer) => {
    bytes = Buffer.concat([bytes, c]);
    for (const w of waiters) w();
  });
  const onEnd = () => {
    ended = true;
    for (const w of waiters) w();
  };
  stream.on("end", onEnd);
  stream.on("close", onEnd);
  stream.on("error", () => undefined);
  return {
    bytes: () => bytes,
    ended: () => ended,
    until: (check, what) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => (waiters.delete(poll), reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(bytes.toString("latin1").slice(0, 400))}`))), WAIT_MS);
        const poll = () => {
          if (!check(bytes)) return;
          clearTimeout(timer);
          waiters.delete(poll);
          resolve();
        };
        waiters.add(poll);
        poll();
      }),
  };
}

export type Head = { status: number; reason: string; fields: [string, string][] };
export const values = (head: Head, name: string) => head.fields.filter(([n]) => n === name).map(([, v]) => v);

export interface H1Upgrade {
  head: Head;
  socket: net.Socket;
  /** Bytes after the answer head. */
  after: () => Buffer;
  read: Collected;
}

/** An HTTP/1.1 upgrade on a raw socket: the answer head as sent, and the connection to go on with. */
export async function upgradeH1(port: number, path: string, host: string, fields: Record<string, string> = {}): Promise<H1Upgrade> {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => undefined);
  const read = collect(socket);
  const extra = Object.entries(fields)
    .map(([n, v]) => `${n}: ${v}\r\n`)
    .join("");
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`);
  try {
    await read.until((b) => b.includes("\r\n\r\n"), `the answer head to ${path}`);
  } catch (e) {
    socket.destroy();
    throw e;
  }
  const raw = read.bytes();
  const end = raw.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.1 (\d{3}) (.*)$/.exec(statusLine!)!;
  const parsed = lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()] as [string, string]);
  return { head: { status: Number(m[1]), reason: m[2]!, fields: parsed }, socket, after: () => read.bytes().subarray(end + 4), read };
}

export interface H2Upgrade {
  head: Head;
  stream: http2.ClientHttp2Stream;
  client: http2.ClientHttp2Session;
  read: Collected;
}

/** An RFC 8441 extended CONNECT: the response head as raw field lines, and the stream. */
export function upgradeH2(port: number, path: string, host: string, fields: Record<string, string> = {}): Promise<H2Upgrade> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on("error", reject);
    const timer = setTimeout(() => (client.destroy(), reject(new Error(`no HTTP/2 answer to ${path}`))), WAIT_MS);
    client.once("remoteSettings", (settings) => {
      if (!settings.enableConnectProtocol) return reject(new Error("server does not allow extended CONNECT"));
      const stream = client.request({ ":method": "CONNECT", ":protocol": "websocket", ":scheme": "http", ":path": path, ":authority": host, "sec-websocket-version": "13", ...fields });
      stream.on("error", () => undefined);
      const read = collect(stream);
      // Node passes the raw field list as a third argument its types do not declare.
      const onResponse = (h: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
        clearTimeout(timer);
        const list: [string, string][] = [];
        for (let i = 0; i + 1 < raw.length; i += 2) if (!raw[i]!.startsWith(":")) list.push([raw[i]!, raw[i + 1]!]);
        resolve({ head: { status: Number(h[":status"]), reason: "", fields: list }, stream, client, read });
      };
      stream.once("response", onResponse as unknown as (h: http2.IncomingHttpHeaders, flags: number) => void);
    });
  });
}

/** Sends a frame through an open tunnel and waits (bounded) for the backend's echo of it after `from` bytes. */
export async function echoes(out: { write(b: Buffer): unknown }, read: Collected, from: () => Buffer, text: string): Promise<string> {
  out.write(clientFrame(text));
  await read.until(() => readFrame(from()) !== null, `the echo of ${text}`);
  return readFrame(from())!.text;
}
