/**
 * RequestMirror (HTTPRequestMirrorFilter; GEP-3171 for percent and fraction).
 */
import type { Mirror } from "../../model/decision.js";
import type { RouteFilter } from "../../resolve/graph.js";
import { xBackendFields } from "../xbackend.js";

export type MirrorSpec = NonNullable<RouteFilter["requestMirror"]>;

/**
 * Share of requests mirrored, in percent: `percent`, else `fraction` as
 * 100 × numerator / denominator (denominator default 100), else 100. Kept exact (1/3 is
 * 33.33…), clamped to [0, 100].
 */
export function mirrorPercent(spec: MirrorSpec): number {
  let percent = 100;
  if (spec.percent !== undefined && spec.percent !== null) percent = spec.percent;
  else if (spec.fraction) {
    const denominator = spec.fraction.denominator ?? 100;
    percent = denominator > 0 ? (100 * spec.fraction.numerator) / denominator : 0;
  }
  return Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0;
}

/**
 * The mirror as the decision shows it. An invalid backendRef is kept, marked invalid: the spec
 * says it "must be dropped", so it receives nothing, but explanations still show it.
 */
export function toMirror(spec: MirrorSpec): { mirror: Mirror; note: string } {
  const b = spec.backendRef;
  const percent = mirrorPercent(spec);
  const mirror: Mirror = {
    backend: { group: b.group, kind: b.kind, namespace: b.namespace, name: b.name, port: b.port, ...xBackendFields(b.xbackend) },
    percent,
    valid: b.valid,
    reason: b.valid ? null : b.reason,
  };
  const target = `${b.namespace}/${b.name}${b.port !== null ? `:${b.port}` : ""}`;
  const note = b.valid
    ? `RequestMirror: ${percent}% of requests also sent to ${target}; its responses are ignored`
    : `RequestMirror: ${target} is invalid (${b.reason ?? "unresolved"}), nothing mirrored`;
  return { mirror, note };
}
