import { describe, expect, it } from "vitest";
import { parseManifests } from "../manifest/parse.js";
import { buildWorld } from "../world.js";
import { lint } from "./index.js";

const gateway = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: cls
  listeners: [{name: web, port: 80, protocol: HTTP}]
---
apiVersion: v1
kind: Service
metadata: {name: app, namespace: ns}
spec: {ports: [{port: 80}]}
`;

const route = (name: string, hostnames: string, rules: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  hostnames: ${hostnames}
  rules: ${rules}
`;

const findingsOf = (rule: string) => (text: string) =>
  lint(buildWorld(parseManifests(text, { file: "w.yaml" }).objects))
    .filter((f) => f.rule === rule)
    .map((f) => `${f.object.name} ${f.path}: ${f.message}`);
const loops = findingsOf("redirect-loop");
const unserved = findingsOf("redirect-not-served");

describe("redirect-loop", () => {
  it.each([
    {
      title: "a redirect that changes nothing the next request is matched on",
      routes: route("self", "[a.test]", "[{filters: [{type: RequestRedirect, requestRedirect: {statusCode: 302}}]}]"),
      want: [/^self spec\.rules\[0\]\.filters\[0\]: .*redirects http:\/\/a\.test\/ to itself/],
    },
    {
      title: "two hosts that send each other away: both rules are in the loop",
      routes:
        route("to-b", "[a.test]", "[{filters: [{type: RequestRedirect, requestRedirect: {hostname: b.test}}]}]") +
        route("to-a", "[b.test]", "[{filters: [{type: RequestRedirect, requestRedirect: {hostname: a.test}}]}]"),
      want: [/^to-b .*redirects http:\/\/a\.test\/ → http:\/\/b\.test\/ → http:\/\/a\.test\/, back where it started/, /^to-a .*redirects http:\/\/b\.test\/ → http:\/\/a\.test\/ → http:\/\/b\.test\//],
    },
    {
      title: "a redirect to a path another rule serves",
      routes: route(
        "moved",
        "[a.test]",
        "[{matches: [{path: {type: PathPrefix, value: /old}}], filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}}]}, {matches: [{path: {type: PathPrefix, value: /new}}], backendRefs: [{name: app, port: 80}]}]",
      ),
      want: [],
    },
    {
      title: "a redirect to a host this Gateway does not serve",
      routes: route("away", "[a.test]", "[{filters: [{type: RequestRedirect, requestRedirect: {hostname: elsewhere.test}}]}]"),
      want: [],
    },
    {
      title: "a redirect only to another loop: reported there, not here",
      routes:
        route("in", "[in.test]", "[{filters: [{type: RequestRedirect, requestRedirect: {hostname: self.test}}]}]") +
        route("self", "[self.test]", "[{filters: [{type: RequestRedirect, requestRedirect: {statusCode: 301}}]}]"),
      want: [/^self .*redirects http:\/\/self\.test\/ to itself/],
    },
    {
      title: "a redirect rule another rule shadows for its witness is left alone",
      routes: route(
        "shadowed",
        "[a.test]",
        "[{matches: [{path: {type: PathPrefix, value: /}, headers: [{name: x-env, value: dev}]}], backendRefs: [{name: app, port: 80}]}, {matches: [{path: {type: PathPrefix, value: /}, headers: [{name: x-env, value: dev}]}], filters: [{type: RequestRedirect, requestRedirect: {statusCode: 302}}]}]",
      ),
      want: [],
    },
  ])("$title", ({ routes, want }) => {
    const got = loops(gateway + routes);
    expect(got).toHaveLength(want.length);
    want.forEach((pattern, i) => expect(got[i]).toMatch(pattern));
  });
});

describe("redirect-not-served", () => {
  const secure = `---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: cls
  listeners:
  - {name: web, port: 80, protocol: HTTP}
  - {name: alt, port: 8080, protocol: HTTP}
`;
  const base = gateway.replace(/apiVersion: gateway.networking.k8s.io\/v1\nkind: Gateway[\s\S]*?---\n/, "") + secure;
  it.each([
    {
      title: "a host's redirect to a port where nothing serves it",
      routes: route("move", "[a.test]", "[{filters: [{type: RequestRedirect, requestRedirect: {port: 8080}}]}]"),
      want: [/^move .*redirects http:\/\/a\.test\/ to http:\/\/a\.test:8080\/, and the Gateway answers 404 on listener alt/],
    },
    {
      title: "the same redirect when a route serves the host there",
      routes:
        route("move", "[a.test]", "[{filters: [{type: RequestRedirect, requestRedirect: {port: 8080}}]}]") +
        route("there", "[a.test]", "[{backendRefs: [{name: app, port: 80}]}]").replace("parentRefs: [{name: gw}]", "parentRefs: [{name: gw, sectionName: alt}]"),
      want: [],
    },
    {
      title: "a redirect to another host",
      routes: route("away", "[a.test]", "[{filters: [{type: RequestRedirect, requestRedirect: {hostname: b.test, port: 8080}}]}]"),
      want: [],
    },
    {
      title: "a catch-all redirect (the hosts served at the target are not known)",
      routes: route("all", "[]", "[{filters: [{type: RequestRedirect, requestRedirect: {port: 8080}}]}]").replace("hostnames: []\n", ""),
      want: [],
    },
    {
      title: "a redirect to a port with no listener: refused",
      routes: route("nowhere", "[a.test]", "[{filters: [{type: RequestRedirect, requestRedirect: {port: 9090}}]}]"),
      want: [/^nowhere .*to http:\/\/a\.test:9090\/, and the Gateway refuses it/],
    },
  ])("$title", ({ routes, want }) => {
    // Redirect routes sit on listener web only; on alt they would redirect to themselves.
    const got = unserved(base + routes.replace(/parentRefs: \[\{name: gw\}\]/g, "parentRefs: [{name: gw, sectionName: web}]"));
    expect(got).toHaveLength(want.length);
    want.forEach((pattern, i) => expect(got[i]).toMatch(pattern));
  });
});
