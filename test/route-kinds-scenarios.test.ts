/**
 * Routing scenarios for the other route kinds and entry points: GRPCRoute, TLSRoute,
 * TCPRoute, UDPRoute (north-south, through a Gateway) and mesh (GAMMA, east-west through a
 * Service). Each folder under test/scenarios/{grpc,tls,tcp,udp,mesh} stands for the upstream
 * conformance test it is named after (or a `gwsim-...` corner); the format and the loop are in
 * test/scenario-runner.ts, each root has its own `_base.yaml`.
 */
import { join } from "node:path";
import { describe } from "vitest";
import { runScenarios } from "./scenario-runner.js";

const ONLY = process.env.GWSIM_SCENARIO_KIND;
for (const kind of ["grpc", "tls", "tcp", "udp", "mesh"]) {
  if (ONLY && ONLY !== kind) continue;
  describe(kind, () => runScenarios(join(import.meta.dirname, "scenarios", kind)));
}
