import type { Decision } from "../model/decision.js";

/**
 * A decision with every CONTRACT field present and empty. gwsim adds `reason` (a stable code
 * for outcomes other than forward, e.g. NoListener, NoMatchingRoute, BackendNotFound) and
 * `message` (the same in words).
 */
export function emptyDecision(id: unknown): Decision {
  const d: Decision = {
    outcome: "error",
    status: null,
    listener: null,
    route: null,
    backend: null,
    backends: [],
    forwarded: null,
    redirect: null,
    responseHeaders: null,
    mirrors: [],
    timeouts: null,
    retry: null,
    sessionPersistence: null,
    backendTLS: null,
    reason: null,
    message: null,
  };
  return id === undefined ? d : { id, ...d };
}
