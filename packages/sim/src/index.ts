/**
 * The gwsim simulator: trace sources, seeded replay, reports, what-if, synthetic traffic,
 * statistics, and the live adapter (`startServe`). The `gwsim` CLI is a thin layer over it.
 * @module @gwsim/sim
 */
export { replay, parseSplitMode, parsePrecision } from "./replay/replay.js";
export { replayParallel, replayTraceFile } from "./replay/parallel.js";
export type { ParallelOptions } from "./replay/parallel.js";
export { whatif, moveFlows } from "./replay/whatif.js";
export type { WhatifOptions, WhatifReport, WhatifBackendRow, MoveRow, NewFailureRow, ShareSnapshot } from "./replay/whatif.js";
export { parseFailIf, evaluateFailIf, evaluateFailIfValue } from "./replay/fail-if.js";
export type { FailIfExpr, FailIfParse } from "./replay/fail-if.js";
export { setWeights, parseSetWeight } from "./replay/set-weights.js";
export type { SetWeightProblem, SetWeightResult } from "./replay/set-weights.js";
export { newEngine, observe, buildReport, mergeStates, backendName } from "./replay/engine.js";
export type { AggState, Engine, EngineConfig, Observation } from "./replay/engine.js";
export { templatePath, classOf } from "./replay/request-class.js";
export type {
  SplitMode,
  Precision,
  DecideFn,
  ReplayOptions,
  Report,
  BackendRow,
  RouteRow,
  SplitRow,
  SplitBackendRow,
  FailingClassRow,
  MirrorRow,
  ObservedReport,
  ObservedDifference,
  ExposureReport,
  TimelineReport,
  TimelineBucket,
} from "./replay/types.js";
export { arrivalsOutOfRange, synthesize, synthesizeJsonl, SynthRangeError } from "./synth/synthesize.js";
export type { SynthOptions } from "./synth/synthesize.js";
export { parseSynthProfile, SynthProfileSchema } from "./synth/profile.js";
export type { SynthProfile, ProfileResult } from "./synth/profile.js";
export { wilson } from "./stats/wilson.js";
export { chiSquareTest, chiSquareSurvival } from "./stats/chi-square.js";
export type { ChiSquareResult } from "./stats/chi-square.js";
export { regularizedGammaP, regularizedGammaQ, logGamma } from "./stats/gamma.js";
export { renderText, renderWhatifText } from "./report/text.js";
export { renderJson } from "./report/json.js";
export { readTrace, detectFormat, compileLogFormat, logFormatText, NAMED_LOG_FORMATS, clusterBackend, MAX_LINE_CHARS } from "./trace/index.js";
export type {
  TraceRecord, TraceReader, TraceStats, TraceFormat, TraceObserved, ReadTraceOptions, BadSample, TraceInput, CompiledLogFormat,
} from "./trace/index.js";
export { startServe, LiveGateway, ListenError, parseListen, planFrontends, endpointsFromManifests, parseEndpointsFile, backendKey } from "./serve/index.js";
export type { ServeOptions, BoundFrontend, BindAddress, ListenMap, FrontendPlan, FrontendKind, EndpointTable, DecideFn as ServeDecideFn, Exchange, Snapshot, Limits, ReloadResult, ReloadState } from "./serve/index.js";
export { rolloutSteps } from "./rollout/steps.js";
export { argoRolloutSteps, ARGO_PLUGIN } from "./rollout/argo.js";
export { flaggerCanarySteps, flaggerWeights, flaggerMaxWeight, flaggerNextStep } from "./rollout/flagger.js";
export { parseRolloutFile, ROLLOUT_KINDS } from "./rollout/parse.js";
export type { RolloutFile } from "./rollout/parse.js";
export { replayRollout, parseErrorRate, schedule as rolloutSchedule } from "./rollout/replay-rollout.js";
export type { RolloutReplayOptions, RolloutReport, RolloutStepReport, CanaryExposure, FailedRequests } from "./rollout/replay-rollout.js";
export type { RolloutPlan, RolloutStep, RolloutOptions, StepHold } from "./rollout/types.js";
export { retryOutcome, retriesFor, DEFAULT_ERROR_CODE, DEFAULT_RETRY_ATTEMPTS } from "./rollout/retry.js";
export type { ErrorCode } from "./rollout/retry.js";
export { parseGoDuration, formatDuration } from "./rollout/duration.js";
export { renderHtml } from "./report/html.js";
export type { HtmlOptions } from "./report/html.js";
export { renderRolloutText, renderRolloutPlanText, renderRolloutJson } from "./rollout/text.js";
