import { describe, expect, it } from "vitest";
import { worldFrom } from "../testing/world-from.js";
import { lint } from "./index.js";

// route-not-attached through a ListenerSet its Gateway does not accept: the fix must fit the
// reason (allowedListeners only helps NotAllowed; a missing Gateway needs the Gateway).

const gateway = (extra: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: hub, namespace: edge}
spec:
  gatewayClassName: lb
${extra}
  listeners: [{name: main, protocol: HTTP, port: 80}]
`;
const CLASS_WITH_MISSING_PARAMS = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lb}
spec:
  controllerName: lb.example.net/controller
  parametersRef: {group: "", kind: ConfigMap, name: absent, namespace: edge}
`;
const LISTENER_SET = (listener = "{name: extra, protocol: HTTP, port: 8080}") => `apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: team, namespace: apps}
spec:
  parentRef: {name: hub, namespace: edge}
  listeners: [${listener}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: apps}
spec:
  parentRefs: [{group: gateway.networking.k8s.io, kind: ListenerSet, name: team}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: apps}
spec: {ports: [{port: 80}]}
`;
const ALLOW_ALL = "  allowedListeners: {namespaces: {from: All}}";

describe("route-not-attached via a ListenerSet that is not accepted: the fix fits the reason", () => {
  it.each([
    { case: "namespace not allowed by the Gateway", docs: [gateway(""), LISTENER_SET()], reason: "NotAllowed", fix: /: let the Gateway's spec\.allowedListeners admit its namespace, or fix the ListenerSet's parentRef$/ },
    { case: "Gateway missing", docs: [LISTENER_SET()], reason: "ParentNotAccepted", fix: /: add the Gateway to the manifests \(or lint it together with them\), or fix the ListenerSet's spec\.parentRef$/ },
    { case: "Gateway not accepted", docs: [CLASS_WITH_MISSING_PARAMS, gateway(ALLOW_ALL), LISTENER_SET()], reason: "ParentNotAccepted", fix: /: fix the Gateway \(see its conditions in `gwsim status`\), or point the ListenerSet's spec\.parentRef at an accepted Gateway$/ },
    { case: "no valid listener in the set", docs: [gateway(ALLOW_ALL), LISTENER_SET("{name: extra, protocol: example.net/quic, port: 8443}")], reason: "ListenersNotValid", fix: /: fix the ListenerSet's listeners \(see their conditions in `gwsim status`\)$/ },
  ])("$case ($reason)", ({ docs, reason, fix }) => {
    const world = worldFrom(docs.join("---\n"));
    const findings = lint(world).filter((f) => f.rule === "route-not-attached");
    expect(findings).toHaveLength(1);
    expect(findings[0]!.fix).toContain(`is not accepted${reason === "ListenersNotValid" ? "" : " by its Gateway"} (${reason}: `);
    expect(findings[0]!.fix).toMatch(fix);
    // allowedListeners is the fix only when it is the reason.
    if (reason !== "NotAllowed") expect(findings[0]!.fix).not.toContain("allowedListeners");
  });
});
