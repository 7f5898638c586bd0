/** A request as CONTRACT.md defines it: every field optional except the entry point. */
export interface GatewayRequest {
  id?: unknown;
  /** Entry point: a Gateway as "namespace/name" ... */
  gateway?: string;
  /** ... or a Service "namespace/name" for mesh (GAMMA) routing ... */
  service?: string;
  /** ... or a destination IP (a Service's clusterIP), for mesh. */
  address?: string;
  /** Mesh only: the namespace the caller runs in. */
  from?: string;
  port?: number;
  scheme?: "http" | "https" | "tls" | "tcp" | "udp";
  protocol?: "HTTP/1.1" | "HTTP/2" | "h2c" | "websocket";
  /** Host / :authority as sent; may carry a port. */
  host?: string;
  sni?: string;
  clientCertificate?: string;
  method?: string;
  /** Path plus optional query string, as sent. */
  path?: string;
  headers?: Record<string, string | string[]>;
  grpc?: { service: string; method: string };
  user?: string;
  time?: string | number;
}
