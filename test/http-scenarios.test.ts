/**
 * HTTP routing scenarios: each folder under test/scenarios/http is one behaviour, named after
 * the upstream conformance test it stands for (or `gwsim-...` for gwsim's own corners). The
 * cases.yaml format and the loop are in test/scenario-runner.ts.
 */
import { join } from "node:path";
import { runScenarios } from "./scenario-runner.js";

runScenarios(join(import.meta.dirname, "scenarios", "http"));
