/**
 * @gwsim/core/testing: pieces for users' own test suites. fast-check arbitraries of requests
 * that exercise a world and of random valid worlds; routing properties that return a shrunk
 * counterexample; vitest matchers. Needs fast-check (and vitest for the matchers), which the
 * core's main entry does not.
 * @module @gwsim/core/testing
 */
export { requests, mutatePath, PATH_MUTATIONS } from "./requests.js";
export type { RequestArbitraryOptions, PathMutation } from "./requests.js";
export { worlds } from "./worlds.js";
export type { WorldArbitraryOptions } from "./worlds.js";
export { vocabularyOf } from "./vocabulary.js";
export type { Vocabulary, EntryPoint } from "./vocabulary.js";
export { neverRoutes, alwaysRoutes, isolated, sameRouting, formatCounterexample } from "./properties.js";
export type { Counterexample, PropertyOptions, SameRoutingOptions, RoutingException } from "./properties.js";
export { matchesPattern, backendMatcher, reachOf, shareOf } from "./targets.js";
export type { RequestPattern, BackendTarget, Reach } from "./targets.js";
export { installMatchers, gwsimMatchers, withEntryPoint } from "./matchers.js";
export type { GwsimMatchers, RouteChain, StatusRef, ConditionStatus } from "./matchers.js";
export { worldFrom } from "./world-from.js";
export type { TestWorld, WorldFromOptions } from "./world-from.js";
