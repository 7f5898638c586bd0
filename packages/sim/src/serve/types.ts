import type { Decision, GatewayRequest, World } from "@gwsim/core";
import type { TlsMaterial } from "./backend-tls.js";
import type { EndpointTable } from "./endpoints.js";

/** The core's decide, injectable so the socket layer can be tested with hand-written decisions. */
export type DecideFn = (world: World, request: GatewayRequest, options: { seed?: number; index?: number; explain?: boolean }) => Decision;

/** Everything one request is served with; replaced whole on reload, never mutated. */
export interface Snapshot {
  readonly world: World;
  readonly endpoints: EndpointTable;
  /** CA bundles and key pairs from the manifests, for BackendTLSPolicy. */
  readonly tls: TlsMaterial;
  /** 1 for the first world, +1 per successful reload. */
  readonly generation: number;
  readonly loadedAt: string;
}

/** What happened to one request: feeds the access log, `--record` and the metrics. */
export interface Exchange {
  index: number;
  /** Epoch milliseconds when the request arrived. */
  started: number;
  /** The frontend (Gateway, port, kind) that took the connection. */
  frontend: string;
  generation: number;
  request: GatewayRequest;
  decision: Decision | null;
  /** Status sent to the client; 0 when the connection was dropped before any status. */
  status: number;
  /** `namespace/name:port` of the backend actually used. */
  backend: string | null;
  /** The endpoint address of the last attempt. */
  endpoint: string | null;
  attempts: number;
  durationMs: number;
  /** Time to the backend's response headers, when one answered. */
  upstreamMs: number | null;
  /** Why the gateway answered itself or failed, e.g. `no endpoints`, `backend timeout`. */
  reason: string | null;
  mirrors: number;
  /** grpc-status of a gRPC call the gateway answered itself (Trailers-Only; HTTP status 200). */
  grpcStatus?: number;
  /** The client went away before the response was complete. */
  aborted: boolean;
}
