import type { ManifestObject } from "@gwsim/core";
import { argoRolloutSteps } from "./argo.js";
import { flaggerCanarySteps } from "./flagger.js";
import { problemAt } from "./parse.js";
import type { RolloutOptions, RolloutPlan } from "./types.js";

/**
 * A progressive rollout as route snapshots: an Argo Rollouts `Rollout` (Gateway API plugin) or
 * a Flagger `Canary` (Gateway API provider) over the given objects. Pure: problems are data.
 */
export function rolloutSteps(objects: readonly ManifestObject[], rollout: ManifestObject, options: RolloutOptions = {}): RolloutPlan {
  if (rollout.kind === "Rollout") return argoRolloutSteps(objects, rollout, options);
  if (rollout.kind === "Canary") return flaggerCanarySteps(objects, rollout);
  return {
    ok: false,
    kind: null,
    name: null,
    before: [...objects],
    steps: [],
    problems: [problemAt(rollout, "kind", "rollout.unsupported-kind", "error", `kind ${rollout.kind}: expected an Argo Rollouts Rollout or a Flagger Canary`)],
  };
}
