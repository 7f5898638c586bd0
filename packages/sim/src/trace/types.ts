import type { GatewayRequest } from "@gwsim/core";

/** What the real gateway did, when the log records it. */
export interface TraceObserved {
  /** The backend actually used: `namespace/name:port` when the log names a Kubernetes Service, else the log's own name (HAProxy `backend/server`, nginx `$proxy_host`). */
  backend?: string;
  /** The upstream endpoint address (`ip:port`) the gateway connected to. */
  upstreamHost?: string;
  /** The HTTP status returned to the client. */
  status?: number;
  /** Raw upstream cluster name (Envoy), kept because its meaning differs by control plane. */
  cluster?: string;
  /** The grpc-status of a gRPC call the gateway answered itself (HTTP 200, Trailers-Only), as `gwsim serve --record` writes it. */
  grpcStatus?: number;
}

/** One request of a trace: the CONTRACT request shape plus what the log observed. */
export type TraceRecord = GatewayRequest & { user?: string; observed?: TraceObserved };

export type TraceFormat = "jsonl" | "envoy" | "nginx" | "har" | "csv" | "haproxy";

export interface ReadTraceOptions {
  /** `auto` (default) detects the format from the first lines. */
  format?: TraceFormat | "auto";
  /** Defaults for every record that lacks them (logs such as nginx `combined` carry no Host). */
  host?: string;
  gateway?: string;
  port?: number;
  scheme?: string;
  /** An nginx `log_format` string (or `combined` / `main`) describing a custom layout. */
  logFormat?: string;
  /** CSV: request field → column name, e.g. `{ path: "uri", "headers.x-canary": "canary" }`. */
  csvColumns?: Record<string, string>;
  /** Name of the input, echoed in stats; its extension is a last-resort format hint. */
  file?: string;
  /**
   * Called for each line that cannot be read, as it is counted, with its whole text (samples are
   * cut). Read one record at a time, the call comes after every earlier line's record was handed
   * over and before any later one, so a caller can answer every line in order.
   */
  onBadLine?: (bad: BadSample) => void;
}

export interface BadSample {
  line: number;
  text: string;
  reason: string;
}

export interface TraceStats {
  /** The format in use; `unknown` when auto-detection recognised nothing; unset until reading starts. */
  format: TraceFormat | "unknown" | undefined;
  file?: string;
  /** Physical lines read so far (blank ones included). */
  lines: number;
  records: number;
  bad: number;
  /** The first few bad lines, verbatim (cut at MAX_SAMPLE_CHARS). */
  badSamples: BadSample[];
}

export interface TraceReader extends AsyncIterable<TraceRecord> {
  /** Filled in as the trace is read; final once iteration ends. */
  readonly stats: TraceStats;
}

/** A line parser returns a record, a reason the line is bad, or null for a line that carries no request (a header). */
export type LineResult = TraceRecord | string | null;

export interface LineParser {
  parse(line: string): LineResult;
  /** At the end of input: what was left unfinished (a CSV quote never closed), if anything. */
  end?(): { text: string; reason: string } | null;
  /** Blank lines are passed to parse (CSV: they can sit inside a quoted field). */
  keepsBlankLines?: boolean;
  /** Lines are passed with their CR (CSV: a quoted field keeps the CRLF inside it, RFC 4180 §2.6). */
  keepsCarriageReturn?: boolean;
}

export const MAX_BAD_SAMPLES = 5;
export const MAX_SAMPLE_CHARS = 2000;
