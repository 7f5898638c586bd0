export { startServe, LiveGateway, ListenError } from "./gateway.js";
export type { ServeOptions, BoundFrontend, ReloadResult, ReloadState, ServeUsage } from "./gateway.js";
export { parseListen, planFrontends, unknownListen } from "./listen.js";
export type { BindAddress, ListenMap, FrontendPlan, FrontendKind } from "./listen.js";
export { endpointsFromManifests, parseEndpointsFile, backendKey } from "./endpoints.js";
export type { EndpointTable } from "./endpoints.js";
export type { DecideFn, Exchange, Snapshot } from "./types.js";
export type { Limits } from "./frontend.js";
export { parseDuration } from "./duration.js";
