import type { Diagnostic, ManifestObject } from "@gwsim/core";

/**
 * How long a step holds:
 * - `timed`: `duration` milliseconds (a pause with a duration, one Flagger analysis interval);
 * - `manual`: until someone promotes by hand (an Argo `pause: {}`), `duration` null;
 * - `end`: the last state (promoted), until the end of the trace, `duration` null.
 */
export type StepHold = "timed" | "manual" | "end";

/** One route snapshot of a progressive rollout, and how long it holds. */
export interface RolloutStep {
  /** Readable: the actions that led here, e.g. `steps 1–2: setWeight 20, pause 10m`. */
  name: string;
  /** The rollout steps (Argo: 0-based indexes into `steps`; Flagger: analysis iterations) that led here. */
  actions: string[];
  /** The canary weight the controller set on the weighted rules (percent), null when it sets none. */
  weight: number | null;
  /** Milliseconds; null for `manual` and `end`. */
  duration: number | null;
  hold: StepHold;
  /** Every object of the world as it stands during this step (untouched objects are shared). */
  objects: ManifestObject[];
  /** Services (`namespace/name`) that run the new version during this step. */
  canary: string[];
  /** Services (`namespace/name`) that run the old version during this step. */
  stable: string[];
}

export interface RolloutPlan {
  /** False when a problem of severity error means the controller would not get this far. */
  ok: boolean;
  /** `Rollout` (Argo Rollouts) or `Canary` (Flagger); null when the document is neither. */
  kind: "Rollout" | "Canary" | null;
  /** `namespace/name` of the Rollout or Canary. */
  name: string | null;
  /** The world before the rollout starts. */
  before: ManifestObject[];
  steps: RolloutStep[];
  problems: Diagnostic[];
  /**
   * Cookies the controller's routes set to keep a user on one version (Flagger sessionAffinity):
   * a rollout replay keeps them per user, as a browser would, and sends them back.
   */
  sessionCookies?: string[];
}

export interface RolloutOptions {
  /**
   * Argo `setMirrorRoute`: the released Gateway API plugin (0.15.0) does nothing for it;
   * `rule` follows the plugin's traffic-mirroring branch (and its docs): it appends a rule
   * with the step's matches, the weighted rule's backendRefs and a RequestMirror filter to the
   * canary. Default `rule`, with a warning that released plugins ignore the step.
   */
  argoMirror?: "rule" | "ignore";
  /** Milliseconds an Argo `analysis` step is taken to last (its templates decide; default 0). */
  analysisDuration?: number;
}
