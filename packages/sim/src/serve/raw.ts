/**
 * Answers written straight to a client socket the HTTP server has let go of (an upgrade or a
 * CONNECT the gateway answers itself, a request the parser refused).
 */
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { HeaderRecord } from "./headers.js";

/**
 * A whole HTTP/1.1 response that closes the connection, with the standard reason phrase: the
 * fields given (nothing added, so a `content-type` a header edit removed stays removed), then
 * `content-length` and `connection: close`, which are the adapter's whatever the fields say.
 */
export function rawResponse(status: number, headers: HeaderRecord, body: string): string {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Unknown"}`];
  const all: HeaderRecord = { ...headers, "content-length": String(Buffer.byteLength(body)), connection: "close" };
  for (const [name, value] of Object.entries(all)) for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

/**
 * Writes the last bytes and closes, as node's HTTP server does for `connection: close`: the socket
 * is destroyed once they are written. A socket left half-open instead stays open (and its request
 * in flight) until the client happens to close it: nothing reads it after an upgrade.
 */
export function endSocket(socket: Duplex, text: string): void {
  if (!socket.writable || socket.writableEnded) {
    socket.destroy();
    return;
  }
  // Read and drop what the client still sends, so a close does not find unread bytes.
  socket.on("data", () => undefined);
  socket.resume();
  socket.end(text, () => socket.destroy());
}
