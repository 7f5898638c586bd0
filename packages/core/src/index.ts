/**
 * Kubernetes Gateway API routing exactly as the specification defines it: manifests in,
 * status and decisions out. Pure functions: no I/O, no clocks, no `Math.random`.
 *
 * `parseManifests` → `buildWorld` → `decide` / `statusOf`.
 * @module @gwsim/core
 */
export type { GatewayRequest } from "./model/request.js";
export type * from "./model/decision.js";
export type * from "./model/diagnostic.js";
export type { ManifestObject, SourceInfo, ForeignObject } from "./manifest/object.js";
export { sourceOf, withSource, positionOf } from "./manifest/object.js";
export type * from "./resolve/graph.js";
export { parseManifests, parseManifestFiles, admitObjects } from "./manifest/parse.js";
export { MAX_NESTING } from "./manifest/depth.js";
export type { ParseOptions, ParseResult } from "./manifest/parse.js";
export { KNOWN_KINDS } from "./manifest/kinds.js";
export { GatewayRequestSchema, checkRequest } from "./model/request-schema.js";
export type { RequestCheck } from "./model/request-schema.js";
export { compileRegex } from "./model/regex.js";
export { buildWorld, decide, statusOf } from "./world.js";
export type { World, BuildOptions } from "./world.js";
export { normalizePath, normalizeMatchPath, parseQuery, queryValue, percentDecode, lowerCaseHeaders, headerValue, headerValues, headerProblem } from "./decide/normalize.js";
export type { NormalizedPath, PathNormalizationOptions, QueryParams, Headers as RequestHeaders } from "./decide/normalize.js";
export { applyFilters } from "./decide/filters/index.js";
export type { FilterContext, FilterResult } from "./decide/filters/index.js";
export * from "./schema/index.js";
export { compile, comparePrecedence, precedenceReason, PRECEDENCE_STEPS } from "./compile/index.js";
export type { RouteTable, CompiledListener, CompiledGroup, CompiledRoute, CompiledRule, CompiledMatch, CompiledBackend, PrecedenceKey, PrecedenceStep } from "./compile/index.js";
export { decide as decideOnTable } from "./decide/index.js";
export type { DecideOptions, DecideWorld } from "./decide/index.js";
export { lint, compareFindings, LINT_RULES, LINT_RULE_IDS } from "./lint/index.js";
export type { Finding, LintOptions, LintRuleId, LintRuleInfo, LintObjectRef, RelatedLocation } from "./lint/index.js";
export { resolve, statusList } from "./resolve/index.js";
export type { ResolveOptions } from "./resolve/index.js";
export { ConditionType, GatewayClassReason, GatewayReason, ListenerReason, ListenerSetReason, RouteReason, PolicyReason, NEGATIVE_POLARITY_CONDITIONS, DEFAULT_CONTROLLER_NAME } from "./model/conditions.js";
export { compareGrpcPrecedence, grpcPrecedenceReason, GRPC_PRECEDENCE_STEPS, compareStreamPrecedence, streamPrecedenceReason, STREAM_PRECEDENCE_STEPS, MESH_KIND_ORDER } from "./compile/index.js";
export type { GrpcPrecedenceKey, StreamPrecedenceKey, CompiledGrpcMatch, CompiledGrpcGroup, CompiledGrpcRoutes, CompiledStreamGroup, CompiledStreamRoutes, CompiledMesh, CompiledMeshService, CompiledMeshPort, CompiledMeshRoutes } from "./compile/index.js";
export { selectorMatches, NAMESPACE_NAME_LABEL } from "./resolve/selector.js";
export type { LabelSelectorIn as LabelSelector } from "./resolve/input.js";
export { encodeSessionToken, decodeSessionToken, sessionCookieName, presentedSessionTokens, SESSION_TOKEN_PREFIX } from "./decide/session.js";
export type { SessionToken, SessionTokenInput } from "./decide/session.js";
export { effectiveWeights, minimumSurvivingWeight } from "./model/weight-precision.js";
export type { WeightPrecision, EffectiveWeights } from "./model/weight-precision.js";
// How decide reads a Host / :authority (serve refuses before routing what it cannot: sim serve/host.ts).
export { splitHostPort } from "./decide/normalize.js";
export type { HostPort } from "./decide/normalize.js";
// The grpc-status a client gets for a gRPC call the gateway answers itself (replay compares observed ones).
export { grpcStatusOf, GRPC_STATUS } from "./decide/grpc.js";
export { appProtocolMeansHttp2 } from "./decide/backend-protocol.js";
// A redirect that leads back to where it started (lint redirect-loop; explain follows it too).
export { redirectLoopFrom, cleartextListenerOf, followRedirect } from "./lint/redirect-loop.js";
// Whether a listener or route hostname (exact, `*.suffix`, `*`) takes a host: explain's notes on listener isolation.
export { hostMatches } from "./compile/hostname.js";
// The distance behind every "did you mean" (status, lint, serve --endpoints, synth profiles).
export { editDistance } from "./resolve/typo.js";
// A decision with every CONTRACT field present and empty (for callers that answer a request themselves).
export { emptyDecision } from "./decide/decision.js";
