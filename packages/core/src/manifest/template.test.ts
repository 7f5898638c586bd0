import { describe, expect, it } from "vitest";
import { parseManifests } from "./parse.js";

// Pointing gwsim at a chart's templates/ gives Go templates: one clear diagnostic per document
// instead of the YAML parser's cascade, and the other documents still load.
const TEMPLATE = `{{- if .Values.route.enabled }}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {{ include "shop.fullname" . }}
  labels:
    {{- include "shop.labels" . | nindent 4 }}
spec:
  parentRefs: [{name: {{ .Values.gateway }}}]
{{- end }}
`;

describe("a Go/Helm template", () => {
  it("is one manifest.template error per file (this one has two template documents), at its first {{", () => {
    const r = parseManifests(TEMPLATE, { file: "templates/route.yaml" });
    expect(r.objects).toEqual([]);
    expect(r.diagnostics).toMatchObject([{ code: "manifest.template", severity: "error", line: 1, column: 1 }]);
    expect(r.diagnostics[0]!.message).toBe(
      "this file is a Go/Helm template ({{ ... }}), not YAML yet; render it first (helm template, or the tool that fills it) and give gwsim the output; its documents that do not parse are skipped",
    );
  });

  it("a template line inside an otherwise plain document is found where it is", () => {
    const r = parseManifests("apiVersion: v1\nkind: Service\nmetadata:\n  namespace: shop\n  name: {{ .Release.Name }}-web\n", { file: "svc.yaml" });
    expect(r.diagnostics).toMatchObject([{ code: "manifest.template", line: 5, column: 9 }]);
  });

  it("braces in a quoted value of valid YAML are data, not a template", () => {
    const r = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tpl, namespace: a}\ndata: {greeting: "{{ .Name }}"}\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.objects).toHaveLength(1);
  });

  it("a syntax error without {{ stays a yaml.syntax error", () => {
    const r = parseManifests("apiVersion: v1\nkind: [Service\n");
    expect(r.diagnostics.map((d) => d.code)).toContain("yaml.syntax");
    expect(r.diagnostics.map((d) => d.code)).not.toContain("manifest.template");
  });

  it("the plain documents beside a template still load", () => {
    const r = parseManifests(`apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: a}\nspec: {ports: [{port: 80}]}\n---\n${TEMPLATE}`);
    expect(r.objects.map((o) => o.metadata.name)).toEqual(["web"]);
    expect(r.diagnostics).toMatchObject([{ code: "manifest.template", line: 6 }]);
  });
});

describe("a mapping key that is a mapping or list", () => {
  it.each([
    { case: "a template line inside valid YAML", text: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels:\n    {{ include "x" . }}\nspec: {ports: [{port: 80}]}\n', code: "manifest.template", at: [6, 5], message: /^this file is a Go\/Helm template/ },
    { case: "an explicit list key", text: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\ndata:\n  ? [a, b]\n  : x\n", code: "yaml.syntax", at: [5, 5], message: /^a mapping key is itself a list \(\[a, b\]\); Kubernetes objects have only string keys \(kubectl refuses this document\); the document is skipped$/ },
    { case: "an alias to a mapping as key", text: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\nx: &k {a: 1}\ndata:\n  *k : y\n", code: "yaml.syntax", at: [6, 3], message: /^a mapping key is itself a mapping \(\*k\)/ },
  ])("$case: $code at its place, the document skipped, nothing on the process's stderr", ({ text, code, at, message }) => {
    const warnings: unknown[] = [];
    const listener = (w: unknown) => warnings.push(w);
    process.on("warning", listener);
    try {
      const r = parseManifests(text, { file: "k.yaml" });
      expect(r.objects).toEqual([]);
      expect(r.diagnostics).toMatchObject([{ code, severity: "error", line: at[0], column: at[1] }]);
      expect(r.diagnostics[0]!.message).toMatch(message);
    } finally {
      process.off("warning", listener);
    }
    expect(warnings).toEqual([]);
  });
});
