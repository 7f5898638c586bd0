export type { GatewayRequest } from "./model/request.js";
export type * from "./model/decision.js";
export type * from "./model/diagnostic.js";
export type { ManifestObject, SourceInfo } from "./manifest/object.js";
export { sourceOf, withSource, positionOf } from "./manifest/object.js";
export type * from "./resolve/graph.js";
export { parseManifests, parseManifestFiles } from "./manifest/parse.js";
export type { ParseOptions, ParseResult } from "./manifest/parse.js";
export { KNOWN_KINDS } from "./manifest/kinds.js";
