import { expect, it } from "vitest";
import { requestLine } from "../packages/sim/src/cli/render-decision.js";
it.each([
  [{ scheme: "tcp", host: "x:9000", port: 9000 }, "TCP x:9000"],
  [{ scheme: "tls", sni: "db.example.org" }, "TLS db.example.org"],
  [{ scheme: "tls", sni: "db.example.org", port: 443 }, "TLS db.example.org:443"],
  [{ scheme: "udp", port: 53 }, "UDP port 53"],
  [{ scheme: "tls", port: 8443 }, "TLS port 8443 (no SNI)"],
  [{ scheme: "tls" }, "TLS (no SNI)"],
  [{ scheme: "http", path: "/x" }, "GET http://(no host)/x"],
  // A path without its leading / is set apart from the host, not run into it.
  [{ host: "pay.example.com", path: "checkout" }, 'GET http://pay.example.com path "checkout"'],
  [{ host: "pay.example.com", path: "" }, 'GET http://pay.example.com path ""'],
  [{ grpc: { service: "pkg.Svc", method: "Get" } }, "gRPC pkg.Svc/Get"],
] as const)("%o → %s", (r, want) => expect(requestLine(r as never)).toBe(want));
