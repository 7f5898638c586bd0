/**
 * Condition types and reasons, spelled exactly as the Gateway API defines them
 * (apis/v1 gateway_types.go, gatewayclass_types.go, listenerset_types.go, shared_types.go,
 * policy_types.go, backendtlspolicy_types.go). One place, so no string drifts.
 */

export const ConditionType = {
  Accepted: "Accepted",
  Programmed: "Programmed",
  ResolvedRefs: "ResolvedRefs",
  Conflicted: "Conflicted",
  SupportedVersion: "SupportedVersion",
  PartiallyInvalid: "PartiallyInvalid",
  OverlappingTLSConfig: "OverlappingTLSConfig",
  InsecureFrontendValidationMode: "InsecureFrontendValidationMode",
} as const;

export const GatewayClassReason = {
  Accepted: "Accepted",
  InvalidParameters: "InvalidParameters",
  Unsupported: "Unsupported",
  Pending: "Pending",
  SupportedVersion: "SupportedVersion",
  UnsupportedVersion: "UnsupportedVersion",
} as const;

export const GatewayReason = {
  Accepted: "Accepted",
  ListenersNotValid: "ListenersNotValid",
  Invalid: "Invalid",
  InvalidParameters: "InvalidParameters",
  UnsupportedAddress: "UnsupportedAddress",
  Pending: "Pending",
  Programmed: "Programmed",
  AddressNotAssigned: "AddressNotAssigned",
  AddressNotUsable: "AddressNotUsable",
  NoResources: "NoResources",
  ResolvedRefs: "ResolvedRefs",
  RefNotPermitted: "RefNotPermitted",
  InvalidClientCertificateRef: "InvalidClientCertificateRef",
  ListenersNotResolved: "ListenersNotResolved",
  ConfigurationChanged: "ConfigurationChanged",
} as const;

/** Listener (and ListenerSet listener entry) reasons. */
export const ListenerReason = {
  Accepted: "Accepted",
  PortUnavailable: "PortUnavailable",
  UnsupportedProtocol: "UnsupportedProtocol",
  NoValidCACertificate: "NoValidCACertificate",
  UnsupportedValue: "UnsupportedValue",
  TooManyListeners: "TooManyListeners",
  Programmed: "Programmed",
  Invalid: "Invalid",
  Pending: "Pending",
  ResolvedRefs: "ResolvedRefs",
  InvalidCertificateRef: "InvalidCertificateRef",
  InvalidRouteKinds: "InvalidRouteKinds",
  RefNotPermitted: "RefNotPermitted",
  InvalidCACertificateRef: "InvalidCACertificateRef",
  InvalidCACertificateKind: "InvalidCACertificateKind",
  HostnameConflict: "HostnameConflict",
  ProtocolConflict: "ProtocolConflict",
  ListenerConflict: "ListenerConflict",
  NoConflicts: "NoConflicts",
  OverlappingHostnames: "OverlappingHostnames",
  OverlappingCertificates: "OverlappingCertificates",
} as const;

export const ListenerSetReason = {
  Accepted: "Accepted",
  NotAllowed: "NotAllowed",
  ParentNotAccepted: "ParentNotAccepted",
  ListenersNotValid: "ListenersNotValid",
  Invalid: "Invalid",
  Pending: "Pending",
  Programmed: "Programmed",
  ParentNotProgrammed: "ParentNotProgrammed",
} as const;

export const RouteReason = {
  Accepted: "Accepted",
  NotAllowedByListeners: "NotAllowedByListeners",
  NoMatchingListenerHostname: "NoMatchingListenerHostname",
  NoMatchingParent: "NoMatchingParent",
  UnsupportedValue: "UnsupportedValue",
  Pending: "Pending",
  IncompatibleFilters: "IncompatibleFilters",
  ResolvedRefs: "ResolvedRefs",
  RefNotPermitted: "RefNotPermitted",
  InvalidKind: "InvalidKind",
  BackendNotFound: "BackendNotFound",
  UnsupportedProtocol: "UnsupportedProtocol",
} as const;

export const PolicyReason = {
  Accepted: "Accepted",
  Conflicted: "Conflicted",
  Invalid: "Invalid",
  TargetNotFound: "TargetNotFound",
  NoValidCACertificate: "NoValidCACertificate",
  ResolvedRefs: "ResolvedRefs",
  InvalidCACertificateRef: "InvalidCACertificateRef",
  InvalidKind: "InvalidKind",
} as const;

/** Conditions that are healthy when False; every other type is healthy when True. */
export const NEGATIVE_POLARITY_CONDITIONS: ReadonlySet<string> = new Set([
  ConditionType.Conflicted,
  ConditionType.PartiallyInvalid,
  ConditionType.OverlappingTLSConfig,
]);

export const GATEWAY_GROUP = "gateway.networking.k8s.io";

/** The controller name gwsim writes when no GatewayClass names one (absent class, mesh routes). */
export const DEFAULT_CONTROLLER_NAME = "gwsim.dev/simulator";
