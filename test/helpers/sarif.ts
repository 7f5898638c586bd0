/**
 * A structural validator for SARIF 2.1.0 logs, written from the OASIS specification
 * (sarif-v2.1.0-errata01-os, §3) for the objects gwsim writes: each object's allowed and required
 * properties (the official JSON schema closes these objects with additionalProperties: false),
 * enums, integer ranges and URI references. Returns the problems as "path: what" strings.
 */
type Check = (value: unknown, path: string, problems: string[]) => void;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function obj(required: string[], props: Record<string, Check>, extra?: (v: Record<string, unknown>, path: string, problems: string[]) => void): Check {
  return (v, path, problems) => {
    if (!isObject(v)) return void problems.push(`${path}: must be an object`);
    for (const r of required) if (!(r in v)) problems.push(`${path}: missing required property ${r}`);
    for (const [k, val] of Object.entries(v)) {
      const check = props[k];
      if (!check) problems.push(`${path}: property ${k} is not allowed here`);
      else check(val, `${path}.${k}`, problems);
    }
    extra?.(v, path, problems);
  };
}

const str: Check = (v, path, problems) => void (typeof v !== "string" && problems.push(`${path}: must be a string`));
const nonEmptyStr: Check = (v, path, problems) => void ((typeof v !== "string" || v === "") && problems.push(`${path}: must be a non-empty string`));
const int = (min: number): Check => (v, path, problems) => void ((!Number.isInteger(v) || (v as number) < min) && problems.push(`${path}: must be an integer >= ${min}`));
const bool: Check = (v, path, problems) => void (typeof v !== "boolean" && problems.push(`${path}: must be a boolean`));
const oneOf = (...values: string[]): Check => (v, path, problems) => void (!values.includes(v as string) && problems.push(`${path}: must be one of ${values.join(", ")}`));
const any: Check = () => {};
const propertyBag: Check = (v, path, problems) => void (!isObject(v) && problems.push(`${path}: a property bag must be an object`));
const arrayOf = (item: Check, opts: { unique?: boolean } = {}): Check => (v, path, problems) => {
  if (!Array.isArray(v)) return void problems.push(`${path}: must be an array`);
  v.forEach((x, i) => item(x, `${path}[${i}]`, problems));
  if (opts.unique && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) problems.push(`${path}: items must be unique`);
};
// RFC 3986 URI-reference: no spaces, backslashes or other characters that must be encoded.
const uriReference: Check = (v, path, problems) =>
  void ((typeof v !== "string" || !/^([A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/.test(v)) && problems.push(`${path}: must be a URI reference (RFC 3986), got ${JSON.stringify(v)}`));

const multiformatMessageString = obj(["text"], { text: str, markdown: str, properties: propertyBag });
const message = obj([], { text: str, markdown: str, id: str, arguments: arrayOf(str), properties: propertyBag }, (v, path, problems) => {
  if (!("text" in v) && !("id" in v)) problems.push(`${path}: a message needs text or id`);
});
const level = oneOf("none", "note", "warning", "error");
const reportingConfiguration = obj([], { enabled: bool, level, rank: any, parameters: propertyBag, properties: propertyBag });
const reportingDescriptor = obj(["id"], {
  id: nonEmptyStr,
  deprecatedIds: arrayOf(str),
  guid: str,
  deprecatedGuids: arrayOf(str),
  name: str,
  deprecatedNames: arrayOf(str),
  shortDescription: multiformatMessageString,
  fullDescription: multiformatMessageString,
  messageStrings: any,
  defaultConfiguration: reportingConfiguration,
  helpUri: uriReference,
  help: multiformatMessageString,
  relationships: any,
  properties: propertyBag,
});
const toolComponent = obj(["name"], {
  guid: str,
  name: nonEmptyStr,
  organization: str,
  product: str,
  productSuite: str,
  shortDescription: multiformatMessageString,
  fullDescription: multiformatMessageString,
  fullName: str,
  version: str,
  semanticVersion: str,
  dottedQuadFileVersion: str,
  releaseDateUtc: str,
  downloadUri: uriReference,
  informationUri: uriReference,
  globalMessageStrings: any,
  notifications: arrayOf(reportingDescriptor),
  rules: arrayOf(reportingDescriptor),
  taxa: arrayOf(reportingDescriptor),
  locations: any,
  language: str,
  contents: any,
  isComprehensive: bool,
  localizedDataSemanticVersion: str,
  minimumRequiredLocalizedDataSemanticVersion: str,
  associatedComponent: any,
  translationMetadata: any,
  supportedTaxonomies: any,
  properties: propertyBag,
});
const artifactLocation = obj([], { uri: uriReference, uriBaseId: str, index: int(-1), description: message, properties: propertyBag });
const region = obj([], {
  startLine: int(1),
  startColumn: int(1),
  endLine: int(1),
  endColumn: int(1),
  charOffset: int(-1),
  charLength: int(0),
  byteOffset: int(-1),
  byteLength: int(0),
  snippet: any,
  message,
  sourceLanguage: str,
  properties: propertyBag,
});
const physicalLocation = obj([], { address: any, artifactLocation, region, contextRegion: region, properties: propertyBag }, (v, path, problems) => {
  if (!("address" in v) && !("artifactLocation" in v)) problems.push(`${path}: a physicalLocation needs address or artifactLocation`);
});
const logicalLocation = obj([], { name: str, index: int(-1), fullyQualifiedName: str, decoratedName: str, parentIndex: int(-1), kind: str, properties: propertyBag });
const location = obj([], {
  id: int(-1),
  physicalLocation,
  logicalLocations: arrayOf(logicalLocation, { unique: true }),
  message,
  annotations: any,
  relationships: any,
  properties: propertyBag,
});
const result = obj(["message"], {
  ruleId: str,
  ruleIndex: int(-1),
  rule: any,
  kind: oneOf("notApplicable", "pass", "fail", "review", "open", "informational"),
  level,
  message,
  analysisTarget: artifactLocation,
  locations: arrayOf(location),
  guid: str,
  correlationGuid: str,
  occurrenceCount: int(1),
  partialFingerprints: any,
  fingerprints: any,
  stacks: any,
  codeFlows: any,
  graphs: any,
  graphTraversals: any,
  relatedLocations: arrayOf(location, { unique: true }),
  suppressions: any,
  baselineState: oneOf("new", "unchanged", "updated", "absent"),
  rank: any,
  attachments: any,
  hostedViewerUri: uriReference,
  workItemUris: arrayOf(uriReference),
  provenance: any,
  fixes: any,
  taxa: any,
  webRequest: any,
  webResponse: any,
  properties: propertyBag,
});
const run = obj(["tool"], {
  tool: obj(["driver"], { driver: toolComponent, extensions: arrayOf(toolComponent), properties: propertyBag }),
  invocations: any,
  conversion: any,
  language: str,
  versionControlProvenance: any,
  originalUriBaseIds: any,
  artifacts: any,
  logicalLocations: arrayOf(logicalLocation),
  graphs: any,
  results: arrayOf(result),
  automationDetails: any,
  runAggregates: any,
  baselineGuid: str,
  redactionTokens: arrayOf(str),
  defaultEncoding: str,
  defaultSourceLanguage: str,
  newlineSequences: arrayOf(str),
  columnKind: oneOf("utf16CodeUnits", "unicodeCodePoints"),
  externalPropertyFileReferences: any,
  threadFlowLocations: any,
  taxonomies: any,
  addresses: any,
  translations: any,
  policies: any,
  webRequests: any,
  webResponses: any,
  specialLocations: any,
  properties: propertyBag,
});
const sarifLog = obj(["version", "runs"], {
  $schema: uriReference,
  version: oneOf("2.1.0"),
  runs: arrayOf(run),
  inlineExternalProperties: any,
  properties: propertyBag,
});

/** Problems with a SARIF 2.1.0 log; [] when it is well-formed. Also checks each ruleIndex points at its ruleId. */
export function validateSarif(log: unknown): string[] {
  const problems: string[] = [];
  sarifLog(log, "$", problems);
  if (problems.length) return problems;
  const runs = (log as { runs: { tool: { driver: { rules?: { id: string }[] } }; results?: { ruleId?: string; ruleIndex?: number }[] }[] }).runs;
  runs.forEach((r, ri) => {
    const rules = r.tool.driver.rules ?? [];
    (r.results ?? []).forEach((res, i) => {
      if (res.ruleIndex !== undefined && res.ruleIndex >= 0 && rules[res.ruleIndex]?.id !== res.ruleId) {
        problems.push(`$.runs[${ri}].results[${i}]: ruleIndex ${res.ruleIndex} does not point at rule ${res.ruleId}`);
      }
    });
  });
  return problems;
}
