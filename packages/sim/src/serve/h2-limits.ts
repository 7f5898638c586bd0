/**
 * HTTP/2 header blocks serve never gets to see. node's http2 layer resets a stream whose header
 * block has more fields than `maxHeaderListPairs` (RST_STREAM ENHANCE_YOUR_CALM), or that
 * nghttp2 finds malformed (RST_STREAM PROTOCOL_ERROR), before any JS event: no 'stream', no
 * 'request', no 'streamError'. Only the session's `state.lastProcStreamID` (the last stream a
 * HEADERS frame arrived on) moves. A header block spread over more CONTINUATION frames than
 * nghttp2 takes (8) closes the whole connection, which does surface, as 'sessionError'.
 */
import type { ServerHttp2Session } from "node:http2";

/**
 * The size of a header list as RFC 9113 §6.5.2 counts it (SETTINGS_MAX_HEADER_LIST_SIZE): each
 * field's name and value octets plus 32, pseudo-header fields included.
 */
export function headerListSize(rawHeaders: readonly string[]): number {
  let size = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) size += Buffer.byteLength(rawHeaders[i]!) + Buffer.byteLength(rawHeaders[i + 1]!) + 32;
  return size;
}

/**
 * Calls `report` with why, for each client stream of `session` that was opened (a HEADERS frame
 * came) but never reached serve. Client stream ids rise by 2 (RFC 9113 §5.1.1; clients do not
 * skip any in practice), so an id between two streams serve saw, or above the last one when the
 * session ends, is a stream the http2 layer reset. Looked at on each new stream, on GOAWAY and
 * just before the session is destroyed (its state is gone afterwards). A session destroyed for
 * too many CONTINUATION frames is one refusal (its last stream is the one cut), said as such.
 */
export function watchRefusedStreams(session: ServerHttp2Session, maxFields: number, report: (reason: string) => void): void {
  let seen = -1;
  const unseenUpTo = (last: number) => {
    for (let id = seen + 2; id <= last; id += 2) report(`HTTP/2 stream ${id} reset before its request reached serve: more than ${maxFields} header fields, or a header block nghttp2 refused as malformed`);
    seen = Math.max(seen, last);
  };
  const lastProcessed = (): number => {
    try {
      return session.state.lastProcStreamID ?? 0;
    } catch {
      return 0;
    }
  };
  session.on("stream", (stream) => {
    if (typeof stream.id !== "number") return;
    unseenUpTo(stream.id - 2);
    seen = Math.max(seen, stream.id);
  });
  // The state is read now, compared once any 'stream' event still queued for it has been emitted.
  const later = (last: number, cut = false) =>
    setImmediate(() => {
      unseenUpTo(cut ? last - 2 : last);
      seen = Math.max(seen, last);
    });
  session.on("goaway", () => later(lastProcessed()));
  // Every end of a session goes through destroy(), which clears its state: looked at first.
  const destroy = session.destroy.bind(session);
  session.destroy = ((...args: Parameters<ServerHttp2Session["destroy"]>) => {
    if (!session.destroyed) {
      // node's own paths (a session that closed gracefully) call destroy(null).
      const error = args[0] instanceof Error ? args[0] : undefined;
      const cut = error !== undefined && /CONTINUATION/i.test(error.message);
      if (cut) report(`HTTP/2 connection closed: ${error.message} (a header block in more than 8 CONTINUATION frames, over ~144 KiB)`);
      later(lastProcessed(), cut);
    }
    return destroy(...args);
  }) as ServerHttp2Session["destroy"];
}
