import type { Decision, GatewayRequest } from "@gwsim/core";

const pct = (p: number) => `${(p * 100).toFixed(p === 0 || p === 1 ? 0 : 2)}%`;

/** `host` with `port` when the host does not already carry it; a different port than the host's is said apart. */
function hostAndPort(host: string, port: number | undefined): { authority: string; note: string } {
  const carried = /:(\d+)$/.exec(host);
  if (!port) return { authority: host, note: "" };
  if (!carried) return { authority: `${host}:${port}`, note: "" };
  return { authority: host, note: Number(carried[1]) === port ? "" : ` (port ${port})` };
}

export function requestLine(r: GatewayRequest): string {
  if (r.grpc) return `gRPC ${r.host ?? ""} ${r.grpc.service}/${r.grpc.method}`;
  if (r.scheme === "tls" || r.scheme === "tcp" || r.scheme === "udp") {
    const { authority, note } = hostAndPort(r.sni ?? r.host ?? "", r.port);
    return `${r.scheme.toUpperCase()} ${authority}${note}`.trimEnd();
  }
  const scheme = r.scheme ?? "http";
  const method = r.method ?? "GET";
  // Mesh: the Service (or address) addressed; the path apart, so it does not read as part of the name.
  const mesh = r.service ?? r.address;
  if (mesh) return `${method} mesh ${mesh}${r.port ? `:${r.port}` : ""} ${r.path ?? "/"}`;
  const { authority, note } = hostAndPort(r.host ?? "", r.port);
  return `${method} ${scheme}://${authority}${r.path ?? "/"}${note}`;
}

/** One readable line per decision: what happened, where, and why in a few words. */
export function decisionSummary(d: Decision): string {
  const route = d.route ? `${d.route.kind} ${d.route.namespace}/${d.route.name} rule ${d.route.rule ?? "-"}${d.route.ruleName ? ` (${d.route.ruleName})` : ""}` : "no route";
  switch (d.outcome) {
    case "forward": {
      const b = d.backend;
      const share = d.backends.find((x) => b && x.namespace === b.namespace && x.name === b.name && x.port === b.port);
      const split = d.backends.length > 1 ? ` [split: ${d.backends.map((x) => `${x.name} ${pct(x.probability)}${x.valid ? "" : " invalid"}`).join(", ")}]` : "";
      return `→ ${b ? `${b.namespace}/${b.name}:${b.port ?? "-"}` : "?"}${share ? ` (p=${pct(share.probability)})` : ""} via ${route}${split}`;
    }
    case "redirect":
      return `↪ ${d.redirect?.status} ${d.redirect?.location} via ${route}`;
    case "respond":
      return `⇐ ${d.status} answered by the gateway via ${route}`;
    case "notFound":
      return `✗ ${d.status ?? 404} no matching route${d.listener ? ` on listener ${d.listener.gateway}/${d.listener.name}` : ""}`;
    case "error":
      return `✗ ${d.status ?? 500} ${route}${d.backends.length ? ` [${d.backends.filter((x) => !x.valid).map((x) => `${x.name}: ${x.reason}`).join(", ")}]` : ""}`;
    case "reject":
      return `✗ connection refused${d.listener ? ` by ${d.listener.gateway}/${d.listener.name}` : ": no listener"}`;
    default:
      return d.outcome;
  }
}

export function renderExplained(request: GatewayRequest, d: Decision): string {
  const lines = [`${requestLine(request)}`, `  ${decisionSummary(d)}`];
  for (const step of d.explain ?? []) lines.push(`    - ${step}`);
  return `${lines.join("\n")}\n`;
}
