/**
 * Invariants of `gwsim status` over random worlds (generators in status-arbitraries.ts):
 * - adding objects nothing refers to never changes another object's status;
 * - status (and the whole graph) does not depend on the order of the documents;
 * - attachedRoutes counts exactly the routes whose status says a listener accepted them.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Graph, StatusItem } from "../packages/core/src/resolve/graph.js";
import { statusList } from "../packages/core/src/resolve/index.js";
import { toYaml, unrelatedArb, worldArb, type Doc } from "./status-arbitraries.js";
import { resolveWorld } from "./status-expect.js";

function graphOf(docs: readonly Doc[]): Graph {
  const { graph, problems } = resolveWorld(toYaml(docs), "world.yaml");
  // The generator must produce valid objects, or the properties would test little.
  expect(problems).toEqual([]);
  return graph;
}

const key = (i: StatusItem) => `${i.kind}/${i.metadata.namespace ?? ""}/${i.metadata.name}`;

type Cond = { type: string; status: string };
type ListenerStatus = { name: string; attachedRoutes: number };

describe("status properties", () => {
  it("the generated worlds exercise attachment, rejection and conflicts", () => {
    // Guards the generator: over a sample, every interesting outcome occurs somewhere.
    const seen = new Set<string>();
    fc.assert(
      fc.property(worldArb, (docs) => {
        for (const item of statusList(graphOf(docs)).items) {
          const s = item.status as { parents?: { conditions: (Cond & { reason: string })[] }[]; listeners?: { conditions: (Cond & { reason: string })[] }[] };
          for (const p of s.parents ?? []) for (const c of p.conditions) seen.add(`${c.type}/${c.reason}`);
          for (const l of s.listeners ?? []) for (const c of l.conditions) seen.add(`${c.type}/${c.reason}`);
        }
      }),
      { numRuns: 300 },
    );
    for (const want of [
      "Accepted/Accepted",
      "Accepted/NotAllowedByListeners",
      "Accepted/NoMatchingListenerHostname",
      "Accepted/NoMatchingParent",
      "ResolvedRefs/BackendNotFound",
      "ResolvedRefs/RefNotPermitted",
      "ResolvedRefs/UnsupportedProtocol",
      "Conflicted/HostnameConflict",
      "Conflicted/ProtocolConflict",
      "Accepted/UnsupportedProtocol",
      "ResolvedRefs/InvalidCertificateRef",
      "ResolvedRefs/InvalidRouteKinds",
    ]) {
      expect(seen, want).toContain(want);
    }
  });

  it("adding unrelated objects never changes any other object's status", () => {
    fc.assert(
      fc.property(worldArb, unrelatedArb, (docs, extra) => {
        // A parent that is not found names where one of that name is (attach.ts elsewhereHint), which
        // other namespaces change by design: that hint aside, nothing may move.
        const unhinted = (item: unknown) => JSON.parse(JSON.stringify(item).replace(/ \((?:a parentRef without namespace[^)]*|[A-Za-z]+ [^ ()]+ is in namespace [^)]*|did you mean [^)]*\?)\)/g, ""));
        const before = statusList(graphOf(docs)).items;
        const after = new Map(statusList(graphOf([...docs, ...extra])).items.map((i) => [key(i), i]));
        for (const item of before) expect(unhinted(after.get(key(item)))).toEqual(unhinted(item));
      }),
    );
  });

  it("does not depend on the order of the documents", () => {
    fc.assert(
      fc.property(
        worldArb.chain((docs) => fc.tuple(fc.constant(docs), fc.shuffledSubarray(docs, { minLength: docs.length, maxLength: docs.length }))),
        ([docs, shuffled]) => {
          // Everything but `source` (where in the input an object was read) must be identical.
          const strip = (g: Graph) => JSON.stringify(g, (k, v) => (k === "source" ? undefined : v));
          expect(strip(graphOf(shuffled))).toBe(strip(graphOf(docs)));
        },
      ),
    );
  });

  it("attachedRoutes is the number of routes a listener accepted, as their status says", () => {
    fc.assert(
      fc.property(worldArb, (docs) => {
        const graph = graphOf(docs);
        const items = statusList(graph).items;
        const statusOf = (kind: string, namespace: string, name: string) =>
          items.find((i) => i.kind === kind && i.metadata.namespace === namespace && i.metadata.name === name)?.status as Record<string, unknown>;
        // Each attachment belongs to a parentRef whose status says Accepted=True ...
        const accepted = (routeIndex: number, parentRefIndex: number) => {
          const r = graph.routes[routeIndex];
          if (!r) return false;
          const parents = (statusOf(r.kind, r.namespace, r.name).parents ?? []) as { parentRef: Record<string, unknown>; conditions: Cond[] }[];
          const spec = (docs.find((d) => d.kind === r.kind && d.metadata.namespace === r.namespace && d.metadata.name === r.name)?.spec ?? {}) as {
            parentRefs: Record<string, unknown>[];
          };
          const ref = spec.parentRefs[parentRefIndex] ?? {};
          const entry = parents.find((p) => p.parentRef.name === ref.name && p.parentRef.namespace === ref.namespace && (p.parentRef.kind === (ref.kind ?? "Gateway")));
          return entry?.conditions.some((c) => c.type === "Accepted" && c.status === "True") ?? false;
        };
        for (const a of graph.attachments) expect(accepted(a.route, a.parentRefIndex)).toBe(true);
        // ... and attachedRoutes counts the distinct routes attached to the listener.
        for (const l of graph.listeners) {
          const owner = l.listenerSet ? statusOf("ListenerSet", l.listenerSet.namespace, l.listenerSet.name) : statusOf("Gateway", l.gateway.namespace, l.gateway.name);
          const ls = ((owner.listeners ?? []) as ListenerStatus[]).find((x) => x.name === l.name);
          const routes = new Set(graph.attachments.filter((a) => a.listener === l.id).map((a) => a.route));
          expect(ls?.attachedRoutes).toBe(routes.size);
        }
        // Every accepted Gateway/ListenerSet parent has at least one attachment.
        graph.routes.forEach((r, i) => {
          const parents = (statusOf(r.kind, r.namespace, r.name).parents ?? []) as { parentRef: { kind: string }; conditions: Cond[] }[];
          const acceptedParents = parents.filter((p) => p.parentRef.kind !== "Service" && p.conditions.some((c) => c.type === "Accepted" && c.status === "True"));
          const attachedParents = new Set(graph.attachments.filter((a) => a.route === i).map((a) => a.parentRefIndex));
          expect(attachedParents.size).toBe(acceptedParents.length);
        });
      }),
    );
  });
});
