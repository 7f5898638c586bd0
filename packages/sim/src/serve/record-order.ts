/**
 * `--record` lines in arrival order. `replay` takes a line's position in a trace as the request's
 * index, and serve decided each request with its arrival index: line n must be request n, or the
 * replayed picks differ from the live ones (requests finish out of order under concurrency).
 *
 * Each request is registered when it arrives and its line is written once its outcome is known
 * (the status sent to the client: response headers, the gateway's own answer, a WebSocket
 * handshake answer; for relayed TCP/UDP/TLS-passthrough connections, the decision and endpoint)
 * or it is over, and all earlier lines are written. Lines never wait forever behind a slow one:
 * a request still pending after `maxWaitMs`, or with more than `maxHeld` requests behind it, gets
 * its line written early with what is known (request, decision, the backend and endpoint it was
 * sent to) and `observed.pending: true` instead of a status, so every index still has exactly one
 * line at its position.
 */
import { recordLine } from "./log.js";
import type { Exchange } from "./types.js";

export interface RecordOrderOptions {
  /** Longest a request waits for its outcome before its line is written without a status (ms). */
  maxWaitMs?: number;
  /** Most requests queued behind a pending one before its line is written without a status. */
  maxHeld?: number;
  /** How often a blocked queue is looked at again (ms). */
  pollMs?: number;
}

export const DEFAULT_RECORD_ORDER: Required<RecordOrderOptions> = { maxWaitMs: 10_000, maxHeld: 10_000, pollMs: 50 };

interface Entry {
  x: Exchange;
  /** performance.now() at arrival. */
  since: number;
  done: boolean;
}

/** Relayed connections have no status: their outcome is known once decided. */
function outcomeKnown(e: Entry): boolean {
  if (e.done || e.x.status !== 0) return true;
  const scheme = e.x.request.scheme;
  return scheme !== "http" && scheme !== "https";
}

export class RecordOrder {
  private next = 0;
  private readonly entries = new Map<number, Entry>();
  private readonly options: Required<RecordOrderOptions>;
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly write: (line: string) => void,
    options: RecordOrderOptions = {},
  ) {
    this.options = { ...DEFAULT_RECORD_ORDER, ...options };
  }

  /** A request arrived (its index was just drawn). */
  began(x: Exchange): void {
    if (this.closed || x.index < this.next) return;
    this.entries.set(x.index, { x, since: performance.now(), done: false });
    this.schedule();
  }

  /** A request is over (its response complete or abandoned). */
  done(x: Exchange): void {
    const e = this.entries.get(x.index);
    if (!e || e.x !== x) return; // written early already, or never registered
    e.done = true;
    this.schedule();
  }

  /** Requests whose line is not written yet. */
  get pending(): number {
    return this.entries.size;
  }

  /** Writes every line still held, in order; those without an outcome as pending. Later calls write nothing. */
  close(): void {
    this.flush(true);
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Flushes once per turn of the event loop, however many requests arrived or ended in it. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush(false);
    });
  }

  private flush(force: boolean): void {
    const now = performance.now();
    const { maxWaitMs, maxHeld } = this.options;
    while (this.entries.size > 0) {
      const e = this.entries.get(this.next);
      if (!e) {
        // An index drawn but never registered (or not yet): nothing to write for it. Skipped only
        // at close, or when the queue behind it is over its bounds, so the rest is not lost.
        if (!force && this.entries.size <= maxHeld && !this.oldestOver(now, maxWaitMs)) break;
        this.next = Math.min(...this.entries.keys());
        continue;
      }
      const known = outcomeKnown(e);
      if (!known && !force && now - e.since < maxWaitMs && this.entries.size <= maxHeld) break;
      this.entries.delete(this.next);
      this.next++;
      try {
        this.write(recordLine(e.x, { pending: !known }));
      } catch {
        // A failing writer must not stop the queue; the CLI's writer reports its own errors.
      }
    }
    this.poll();
  }

  private oldestOver(now: number, maxWaitMs: number): boolean {
    for (const e of this.entries.values()) if (now - e.since >= maxWaitMs) return true;
    return false;
  }

  /** While lines are held, look again now and then: outcomes become known without an event here. */
  private poll(): void {
    if (this.entries.size === 0 || this.closed) {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      return;
    }
    if (this.timer) return;
    this.timer = setInterval(() => this.flush(false), this.options.pollMs);
    this.timer.unref();
  }
}
