/**
 * The self-contained HTML report (`--html FILE`): one file with inline CSS, inline SVG charts
 * and a few lines of script (sortable tables); no external asset, font or CDN, so it opens
 * offline and can be attached to a CI run as is.
 */
import type { BackendId } from "@gwsim/core";
import type { Report, SplitRow } from "../replay/types.js";
import type { WhatifReport } from "../replay/whatif.js";
import type { RolloutReport } from "../rollout/replay-rollout.js";
import { barChart, dec, esc, int, legend, OTHER_COLOR, pairChart, palette, pct, plural, signedPct, stackChart, table, timeChart, truncate, type BarRow } from "./html-kit.js";
import { formatDuration } from "../rollout/duration.js";
import { errorRatesText, retriesMatter, versionsLine } from "../rollout/text.js";
import { HTML_CSS, HTML_SCRIPT } from "./html-style.js";

export interface HtmlOptions {
  /** The page title; default after the kind of report. */
  title?: string;
  /** Shown under the title, e.g. the command line or the trace file. */
  subtitle?: string;
  /** A timestamp to print (the renderer reads no clock, so the same report renders the same). */
  generatedAt?: string;
  /** Most rows in one table (default 200). */
  maxRows?: number;
  /** Most backends drawn in one chart; the rest are summed as "others" (default 24). */
  maxBars?: number;
}

type AnyReport = Report | WhatifReport | RolloutReport;

function isWhatif(r: AnyReport): r is WhatifReport {
  return "before" in r && "after" in r && "moves" in r;
}

function isRollout(r: AnyReport): r is RolloutReport {
  return "steps" in r && "overall" in r;
}

export function backendLabel(b: BackendId): string {
  const kind = b.kind && b.kind !== "Service" ? `${b.kind}:` : "";
  return `${kind}${b.namespace}/${b.name}${b.port !== null && b.port !== undefined ? `:${b.port}` : ""}`;
}

function ruleLabel(r: { kind: string; namespace: string; name: string; rule: number | null; ruleName: string | null }): string {
  const rule = r.rule === null ? "" : ` rule ${r.rule}${r.ruleName ? ` (${r.ruleName})` : ""}`;
  return `${r.kind} ${r.namespace}/${r.name}${rule}`;
}

function card(label: string, value: string, detail = "", tone = ""): string {
  return `<div class="card${tone ? ` ${tone}` : ""}"><div class="card-label">${esc(label)}</div><div class="card-value">${esc(value)}</div>${detail ? `<div class="card-detail">${esc(detail)}</div>` : ""}</div>`;
}

function section(id: string, title: string, body: string, intro = ""): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${intro ? `<p class="intro">${esc(intro)}</p>` : ""}${body}</section>`;
}

function page(title: string, subtitle: string, options: HtmlOptions, nav: [string, string][], body: string): string {
  const meta = [subtitle, options.generatedAt ? `generated ${options.generatedAt}` : ""].filter(Boolean).join(" · ");
  const links = nav.map(([id, label]) => `<a href="#${id}">${esc(label)}</a>`).join("");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gwsim">
<title>${esc(options.title ?? title)}</title>
<style>${HTML_CSS}</style>
</head>
<body>
<header><h1>${esc(options.title ?? title)}</h1>${meta ? `<p class="meta">${esc(meta)}</p>` : ""}<nav>${links}</nav></header>
<main>
${body}
</main>
<footer>gwsim · Gateway API traffic simulation · shares are seeded draws, expected values come from the weights with no sampling noise</footer>
<script>${HTML_SCRIPT}</script>
</body>
</html>
`;
}

/** Backends sorted by traffic, a colour each. */
function backendColors(rows: readonly { label: string; weight: number }[]): (label: string) => string {
  const sorted = [...rows].sort((a, b) => b.weight - a.weight || (a.label < b.label ? -1 : 1));
  return palette(sorted.map((r) => r.label));
}

const INVALID_COLOR = "#8c1c13";

// ---------- replay ----------

function backendsSection(r: Report, color: (l: string) => string, o: HtmlOptions): string {
  const maxBars = o.maxBars ?? 24;
  const rows = [...r.backends].sort((a, b) => b.count - a.count || b.expectedShare - a.expectedShare);
  const shown = rows.slice(0, maxBars);
  const rest = rows.slice(maxBars);
  const bars: BarRow[] = shown.map((b) => {
    const label = backendLabel(b);
    return {
      label: b.valid ? label : `${label} (invalid)`,
      value: b.share,
      ci: b.ci95,
      expected: b.expectedShare,
      color: b.valid ? color(label) : INVALID_COLOR,
      note: `${pct(b.share)} · expected ${pct(b.expectedShare)}`,
      title: `${label}: ${int(b.count)} requests, ${pct(b.share, 2)} [95% ${pct(b.ci95[0], 2)}–${pct(b.ci95[1], 2)}], expected ${pct(b.expectedShare, 2)}`,
    };
  });
  if (rest.length) {
    const count = rest.reduce((a, b) => a + b.count, 0);
    const exp = rest.reduce((a, b) => a + b.expectedShare, 0);
    bars.push({ label: `${rest.length} others`, value: r.requests ? count / r.requests : 0, expected: exp, color: OTHER_COLOR, note: `${pct(r.requests ? count / r.requests : 0)} · expected ${pct(exp)}` });
  }
  const chart = bars.length
    ? barChart(bars, { caption: "Share of requests per backend: sampled (bar, 95% interval) and expected (diamond)" })
    : "";
  if (!rows.length) return section("backends", "Shares per backend", `<p class="muted">${esc(r.requests ? "No request reached a backend." : "The trace has no requests.")}</p>`);
  const tbl = table(rows, [
    { head: "backend", cell: (b) => backendLabel(b) + (b.valid ? "" : " (invalid: 500)") },
    { head: "requests", cell: (b) => b.count, num: true },
    { head: "share", cell: (b) => pct(b.share, 2), num: true, sort: (b) => b.share },
    { head: "95% interval", cell: (b) => `${pct(b.ci95[0], 2)} – ${pct(b.ci95[1], 2)}`, num: true, sort: (b) => b.ci95[0] },
    { head: "expected", cell: (b) => pct(b.expectedShare, 2), num: true, sort: (b) => b.expectedShare },
    { head: "users", cell: (b) => b.users, num: true },
    { head: "expected users", cell: (b) => dec(b.expectedUsers ?? 0, 1), num: true, sort: (b) => b.expectedUsers ?? 0 },
  ], { max: o.maxRows });
  return section(
    "backends",
    "Shares per backend",
    `${chart}${legendLine()}${tbl}`,
    `Bars: the share of all ${plural(r.requests, "request")} the seeded replay sent to each backend, with its 95% Wilson interval. Diamonds: the exact expectation from the weights.`,
  );
}

function legendLine(): string {
  return `<div class="legend"><span><svg width="26" height="12"><line class="ci" x1="2" x2="24" y1="6" y2="6"/><line class="ci" x1="2" x2="2" y1="1" y2="11"/><line class="ci" x1="24" x2="24" y1="1" y2="11"/></svg>95% interval</span><span><svg width="14" height="14"><path class="expected" d="M7 0 l6 7 l-6 7 l-6 -7 z"/></svg>expected</span></div>`;
}

function splitBlock(s: SplitRow, color: (l: string) => string): string {
  const segs = (pick: (b: SplitRow["backends"][number]) => number) =>
    s.backends.map((b) => ({ label: backendLabel(b), value: pick(b), color: b.valid ? color(backendLabel(b)) : INVALID_COLOR }));
  const chi = s.chiSquare ? `χ² ${dec(s.chiSquare.statistic, 2)} (df ${s.chiSquare.df}), p ${s.chiSquare.pValue < 0.0001 ? "< 0.0001" : s.chiSquare.pValue.toFixed(4)}` : "";
  const facts = [
    `${int(s.count)} requests`,
    chi,
    s.users ? `${int(s.users)} users, ${int(s.usersMultiBackend)} saw more than one backend` : "",
    s.sessionPersistence ? "sessionPersistence set" : "",
  ].filter(Boolean);
  const weights = s.backends.map((b) => `${backendLabel(b)} weight ${b.weight}${b.effectiveWeight !== b.weight ? ` → ${b.effectiveWeight}` : ""}`).join(" · ");
  return `<div class="split"><h3>${esc(ruleLabel(s))}</h3><p class="facts">${esc(facts.join(" · "))}</p>${stackChart(
    [
      { label: "expected", segments: segs((b) => b.expectedShare) },
      { label: "sampled", segments: segs((b) => b.share) },
    ],
    `Split of ${ruleLabel(s)}: expected and sampled`,
  )}${legend(s.backends.map((b) => ({ label: backendLabel(b), color: b.valid ? color(backendLabel(b)) : INVALID_COLOR })))}<p class="muted small">${esc(weights)}</p></div>`;
}

function splitsSection(r: Report, color: (l: string) => string, o: HtmlOptions): string {
  const splits = r.splits.filter((s) => s.backends.length > 1).sort((a, b) => b.count - a.count);
  if (!splits.length) return "";
  const max = o.maxBars ?? 24;
  const more = splits.length > max ? `<p class="muted">… and ${splits.length - max} more splits (see the JSON report).</p>` : "";
  return section("splits", "Weighted splits", splits.slice(0, max).map((s) => splitBlock(s, color)).join("") + more, "Each route rule that splits traffic by weight: the expected split and what the seeded replay drew.");
}

function timelineSection(r: Report, color: (l: string) => string, o: HtmlOptions): string {
  const t = r.timeline;
  if (!t || t.buckets.length === 0) return "";
  const totals = new Map<string, number>();
  for (const b of t.buckets) for (const [k, n] of Object.entries(b.backends)) totals.set(k, (totals.get(k) ?? 0) + n);
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k);
  const maxLayers = Math.min(o.maxBars ?? 24, 9);
  const top = ranked.slice(0, maxLayers);
  const others = ranked.slice(maxLayers);
  const layers = top.map((label) => ({ label, color: color(label), counts: t.buckets.map((b) => b.backends[label] ?? 0) }));
  if (others.length) layers.push({ label: `${others.length} others`, color: OTHER_COLOR, counts: t.buckets.map((b) => others.reduce((a, k) => a + (b.backends[k] ?? 0), 0)) });
  const chart = timeChart(
    { starts: t.buckets.map((b) => Date.parse(b.start)), bucketMs: t.bucketSeconds * 1000, layers, totals: t.buckets.map((b) => b.requests) },
    "Share of forwarded requests per backend over time, and requests per bucket",
  );
  const first = t.buckets[0]!.start;
  const last = t.buckets[t.buckets.length - 1]!.start;
  const facts = `${first} to ${last}, ${plural(t.buckets.length, "bucket")} with requests, each ${formatDuration(t.bucketSeconds * 1000)}${t.untimed ? `; ${plural(t.untimed, "request")} without a time` : ""}`;
  return section("timeline", "Shares over time", `${chart}${legend(layers)}<p class="muted small">${esc(facts)}</p>`, "Stacked: each backend's share of the forwarded requests in each time bucket. Below: requests per bucket.");
}

function usersSection(r: Report, color: (l: string) => string, o: HtmlOptions): string {
  const e = r.exposure;
  const rows = [...r.backends].filter((b) => b.users > 0 || (b.expectedUsers ?? 0) > 0).sort((a, b) => b.users - a.users || (b.expectedUsers ?? 0) - (a.expectedUsers ?? 0));
  const facts = `${plural(e.users, "distinct user")} · ${plural(e.anonymousRequests, "request")} without a user · ${plural(e.usersMultiBackend, "user")} reached more than one backend of a split`;
  if (!rows.length) return section("users", "Users exposed per backend", `<p class="muted">${esc(facts)}. The trace names no users.</p>`);
  const max = o.maxBars ?? 24;
  const chart = pairChart(
    rows.slice(0, max).map((b) => ({
      label: backendLabel(b),
      a: b.expectedUsers ?? 0,
      b: b.users,
      color: color(backendLabel(b)),
      note: `${int(b.users)} · expected ${dec(b.expectedUsers ?? 0, 1)}`,
    })),
    { labels: ["expected", "seeded replay"], caption: "Distinct users per backend: expected and in the seeded replay" },
  );
  return section("users", "Users exposed per backend", `<p class="facts">${esc(facts)}</p>${chart}`, "Distinct users who reached each backend at least once. Expected: Σ over users of 1 − Π(1 − p) over their requests (independent draws, the random split).");
}

function statusesSection(r: Report): string {
  const outcomes = Object.entries(r.outcomes).map(([k, v]) => ({ k, v: v ?? 0 }));
  const colors: Record<string, string> = { forward: "#59a14f", redirect: "#76b7b2", respond: "#4e79a7", notFound: "#f28e2b", error: "#e15759", reject: "#b07aa1" };
  const chart = outcomes.length
    ? barChart(
        outcomes.map((x) => ({ label: x.k, value: r.requests ? x.v / r.requests : 0, color: colors[x.k] ?? OTHER_COLOR, note: `${int(x.v)} · ${pct(r.requests ? x.v / r.requests : 0)}` })),
        { caption: "Outcomes", max: 1 },
      )
    : "";
  const statuses = Object.entries(r.statuses).map(([code, n]) => ({ code, n }));
  const tbl = table(statuses, [
    { head: "status", cell: (s) => s.code, sort: (s) => Number(s.code) },
    { head: "requests", cell: (s) => s.n, num: true },
    { head: "share", cell: (s) => pct(r.requests ? s.n / r.requests : 0, 2), num: true, sort: (s) => s.n },
  ], { empty: "The gateway answered no request itself." });
  return section("statuses", "Outcomes and statuses", `${chart}<h3>Answered by the gateway</h3>${tbl}`);
}

function failingSection(r: Report, o: HtmlOptions): string {
  return section(
    "failing",
    "Failing request classes",
    table(r.failing, [
      { head: "status", cell: (f) => String(f.status), sort: (f) => f.status },
      { head: "class", cell: (f) => `${f.method} ${f.host}${f.path}` },
      { head: "requests", cell: (f) => f.count, num: true },
      { head: "example", cell: (f) => truncate(f.example, 120) },
    ], { max: o.maxRows, empty: "No request got a 404 or 500." }),
    "The request classes (method, host, path with ids folded) that the gateway answered 404 or 500.",
  );
}

function routesSection(r: Report, o: HtmlOptions): string {
  if (!r.routes.length) return "";
  const rows = [...r.routes].sort((a, b) => b.count - a.count);
  return section("routes", "Route rules hit", table(rows, [
    { head: "route rule", cell: (x) => ruleLabel(x) },
    { head: "requests", cell: (x) => x.count, num: true },
    { head: "share", cell: (x) => pct(r.requests ? x.count / r.requests : 0, 2), num: true, sort: (x) => x.count },
  ], { max: o.maxRows }));
}

function mirrorsSection(r: Report): string {
  if (!r.mirrors.length) return "";
  return section("mirrors", "Mirrored traffic", table(r.mirrors, [
    { head: "mirror backend", cell: (m) => backendLabel(m) + (m.valid ? "" : " (invalid)") },
    { head: "copies", cell: (m) => m.count, num: true },
    { head: "expected", cell: (m) => dec(m.expected, 1), num: true, sort: (m) => m.expected },
  ]));
}

function observedSection(r: Report, o: HtmlOptions): string {
  const ob = r.observed;
  if (!ob) return "";
  const chart = stackChart(
    [{ label: "compared", segments: [{ label: "agree", value: ob.agree, color: "#59a14f" }, { label: "disagree", value: ob.disagree, color: "#e15759" }] }],
    "Agreement between the simulated and the observed backend",
  );
  const facts =
    ob.agreement === null || ob.compared === 0
      ? `None of the ${plural(ob.records, "record")} that say what the gateway did could be compared (no Kubernetes backend name, no status the gateway answers itself)`
      : `${pct(ob.agreement, 1)} agree: ${int(ob.agree)} of ${plural(ob.compared, "comparable request")} (${plural(ob.records, "record")} say what the gateway did)`;
  const tbl = table(ob.differences, [
    { head: "observed", cell: (d) => d.observed },
    { head: "simulated", cell: (d) => d.simulated },
    { head: "requests", cell: (d) => d.count, num: true },
    { head: "first", cell: (d) => truncate(d.example, 120) },
  ], { max: o.maxRows, empty: "No difference." });
  return section("observed", "Observed vs simulated", `<p class="facts">${esc(facts)}</p>${chart}${legend([{ label: "agree", color: "#59a14f" }, { label: "disagree", color: "#e15759" }])}<h3>Differences</h3>${tbl}`);
}

function warningsSection(warnings: readonly string[]): string {
  if (!warnings.length) return "";
  return section("warnings", "Warnings", `<ul class="warnings">${warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>`);
}

/** One colour per backend in every chart; a backend that answers 500 is always the dark red. */
function replayColors(r: Report): (l: string) => string {
  const invalid = new Set(r.backends.filter((b) => !b.valid).map(backendLabel));
  const color = backendColors(r.backends.filter((b) => b.valid).map((b) => ({ label: backendLabel(b), weight: b.count + b.expectedCount })));
  return (l) => (invalid.has(l) ? INVALID_COLOR : color(l));
}

function replayCards(r: Report): string {
  const s = r.statuses;
  const notFound = s["404"] ?? 0;
  const errors = Object.entries(s).filter(([k]) => Number(k) >= 500).reduce((a, [, v]) => a + v, 0);
  const fwd = r.outcomes.forward ?? 0;
  return `<div class="cards">${[
    card("Requests", int(r.requests), `seed ${r.seed} · split ${r.split} · precision ${r.precision}`),
    card("Forwarded", r.requests ? pct(fwd / r.requests) : "–", `${int(fwd)} to ${plural(r.backends.filter((b) => b.count > 0).length, "backend")}`),
    card("404 from the gateway", int(notFound), r.requests ? pct(notFound / r.requests) : "", notFound ? "warn" : ""),
    card("5xx from the gateway", int(errors), r.requests ? pct(errors / r.requests) : "", errors ? "bad" : ""),
    card("Users", int(r.exposure.users), `${int(r.exposure.usersMultiBackend)} saw more than one backend`),
    ...(r.observed
      ? [
          r.observed.agreement === null || r.observed.compared === 0
            ? card("Agreement with observed", "–", `none of ${int(r.observed.records)} comparable`, "warn")
            : card("Agreement with observed", pct(r.observed.agreement, 1), `${int(r.observed.compared)} compared`, r.observed.agreement < 0.99 ? "warn" : "good"),
        ]
      : []),
  ].join("")}</div>`;
}

function replayBody(r: Report, o: HtmlOptions, prefix = ""): { nav: [string, string][]; body: string } {
  const color = replayColors(r);
  const parts: [string, string, string][] = [
    // Warnings lead: they say what the figures below cannot be trusted for.
    ["warnings", "Warnings", warningsSection(r.warnings)],
    ["backends", "Backends", backendsSection(r, color, o)],
    ["splits", "Splits", splitsSection(r, color, o)],
    ["timeline", "Over time", timelineSection(r, color, o)],
    ["users", "Users", usersSection(r, color, o)],
    ["statuses", "Statuses", statusesSection(r)],
    ["failing", "Failing classes", failingSection(r, o)],
    ["routes", "Routes", routesSection(r, o)],
    ["mirrors", "Mirrors", mirrorsSection(r)],
    ["observed", "Observed", observedSection(r, o)],
  ];
  const present = parts.filter(([, , html]) => html);
  const body = present.map(([id, , html]) => (prefix ? html.replace(`<section id="${id}">`, `<section id="${prefix}${id}">`) : html)).join("\n");
  return { nav: present.map(([id, label]) => [`${prefix}${id}`, label]), body };
}

function renderReplay(r: Report, o: HtmlOptions): string {
  const { nav, body } = replayBody(r, o);
  return page("gwsim replay report", o.subtitle ?? `${int(r.requests)} requests replayed`, o, nav, replayCards(r) + body);
}

// ---------- what-if ----------

function renderWhatif(w: WhatifReport, o: HtmlOptions): string {
  const color = backendColors(w.backends.map((b) => ({ label: backendLabel(b), weight: b.before.count + b.after.count })));
  const rows = [...w.backends].sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || b.after.count - a.after.count);
  const max = o.maxBars ?? 24;
  const chart = pairChart(
    rows.slice(0, max).map((b) => ({
      label: backendLabel(b),
      a: b.before.expectedShare,
      b: b.after.expectedShare,
      color: color(backendLabel(b)),
      note: `${pct(b.before.expectedShare)} → ${pct(b.after.expectedShare)} (${signedPct(b.delta)})`,
    })),
    { labels: ["before", "after"], caption: "Expected share per backend, before and after", percent: true },
  );
  const tbl = table(rows, [
    { head: "backend", cell: (b) => backendLabel(b) },
    { head: "before", cell: (b) => pct(b.before.expectedShare, 2), num: true, sort: (b) => b.before.expectedShare },
    { head: "after", cell: (b) => pct(b.after.expectedShare, 2), num: true, sort: (b) => b.after.expectedShare },
    { head: "change", cell: (b) => signedPct(b.delta), num: true, sort: (b) => b.delta },
    { head: "requests before", cell: (b) => b.before.count, num: true },
    { head: "requests after", cell: (b) => b.after.count, num: true },
    { head: "users before", cell: (b) => b.before.users, num: true },
    { head: "users after", cell: (b) => b.after.users, num: true },
  ], { max: o.maxRows });
  const topMove = Math.max(1e-9, ...w.moves.map((m) => m.expected));
  const moves = w.moves.length
    ? `<div class="table-wrap"><table class="sortable"><thead><tr><th>request class</th><th>from</th><th>to</th><th class="num">expected requests</th><th></th></tr></thead><tbody>${w.moves
        .map(
          (m) =>
            `<tr><td>${esc(`${m.method} ${m.host}${m.path}`)}</td><td>${esc(m.from)}</td><td>${esc(m.to)}</td><td class="num" data-v="${m.expected}">${esc(dec(m.expected, 1))}</td><td class="spark"><span style="width:${Math.max(1, Math.round((m.expected / topMove) * 120))}px;background:${color(m.to.replace(/ \[invalid\]$/, ""))}"></span></td></tr>`,
        )
        .join("")}</tbody></table></div>`
    : `<p class="muted">No request class changes destination.</p>`;
  const failures = table(w.newFailures, [
    { head: "status", cell: (f) => String(f.status), sort: (f) => f.status },
    { head: "class", cell: (f) => `${f.method} ${f.host}${f.path}` },
    { head: "requests", cell: (f) => f.count, num: true },
    { head: "example", cell: (f) => truncate(f.example, 120) },
  ], { max: o.maxRows, empty: "No request newly fails." });
  const cards = `<div class="cards">${[
    card("Requests", int(w.requests), `seed ${w.before.seed} · split ${w.before.split}`),
    card("Expected to move", dec(w.moved.expected, 1), `${pct(w.requests ? w.moved.expected / w.requests : 0, 2)} of requests; ${int(w.moved.count)} in the seeded replay`),
    card("New 404", int(w.new404), `${int(w.fixed404)} fixed`, w.new404 ? "bad" : "good"),
    card("New 500", int(w.new500), `${int(w.fixed500)} fixed`, w.new500 ? "bad" : "good"),
  ].join("")}</div>`;
  const before = replayBody(w.before, o, "before-");
  const after = replayBody(w.after, o, "after-");
  const warnings = [...new Set([...w.before.warnings.map((x) => `before: ${x}`), ...w.after.warnings.map((x) => `after: ${x}`)])];
  const body = [
    warningsSection(warnings),
    cards,
    section("backends", "Before and after, per backend", chart + tbl, "Expected shares (exact, from the weights): grey before, colour after."),
    section("moves", "Which requests move", moves, "Expected requests of each class that move from one destination to another."),
    section("new-failures", "Requests that newly fail", failures),
    `<details><summary>The full report before</summary>${before.body}</details>`,
    `<details><summary>The full report after</summary>${after.body}</details>`,
  ].join("\n");
  return page("gwsim what-if report", o.subtitle ?? `${int(w.requests)} requests, current vs proposed`, o, [["backends", "Backends"], ["moves", "Moves"], ["new-failures", "New failures"]], body);
}

// ---------- rollout ----------

function renderRollout(r: RolloutReport, o: HtmlOptions): string {
  const e = r.overall.exposure;
  const steps = r.steps;
  // Retry figures only when a route rule's retries (or a budget) did something, as the text does.
  const retried = retriesMatter(r);
  const f = e.failed;
  const cards = `<div class="cards">${[
    card("Requests", int(r.requests), `${r.untimed ? `${int(r.untimed)} untimed skipped · ` : ""}seed ${r.seed}`),
    card("On the new version", r.requests ? pct(e.expectedCanaryShare) : "–", `of all requests · ${int(e.canaryRequests)} in the seeded replay`),
    card("Users exposed", dec(e.expectedUsersExposed, 1), `of ${int(e.users)} · ${int(e.usersExposed)} in the seeded replay`),
    card("Users who saw both", dec(e.expectedUsersBoth, 1), `${int(e.usersBoth)} in the seeded replay`),
    card("Failed requests", dec(f.expected, 1), `expected${retried ? " after retries" : ""} · ${int(f.drawn)} drawn · ${int(f.gateway)} gateway 5xx`, f.expected > 0 ? "warn" : ""),
    ...(retried
      ? [
          card("Without retries", dec(f.expectedWithoutRetries, 1), `failed requests expected · ${int(f.drawnWithoutRetries)} drawn`),
          card(
            "Retries sent",
            dec(f.expectedRetries, 1),
            `expected extra attempts · ${int(f.retries)} drawn${f.expectedRetriesRefused + f.retriesRefused > 0 ? ` · budgets refused ${dec(f.expectedRetriesRefused, 1)} (${int(f.retriesRefused)} drawn)` : ""}`,
            f.expectedRetriesRefused + f.retriesRefused > 0 ? "warn" : "",
          ),
        ]
      : []),
  ].join("")}</div>`;
  const share = barChart(
    steps.map((s, i) => ({
      label: `${i + 1}. ${s.name}`,
      value: reachedEither(s) ? s.exposure.expectedNewVersionShare : 0,
      expected: s.weight !== null ? s.weight / 100 : undefined,
      color: "#e15759",
      note: reachedEither(s) ? `${pct(s.exposure.expectedNewVersionShare, 1)} · ${int(s.exposure.canaryRequests)} drawn` : "no requests",
      title: `${s.name}: of the requests that reached either version, ${pct(s.exposure.expectedNewVersionShare, 2)} expected on the new one (${pct(s.exposure.newVersionShare, 2)} drawn); canary weight ${s.weight ?? "–"}`,
    })),
    { max: 1, caption: "Per step, the share of the new version among requests to either version; diamond: the canary weight", labelWidth: 330, noteWidth: 150 },
  );
  const users = pairChart(
    steps.map((s, i) => ({
      label: `${i + 1}. ${s.name}`,
      a: s.exposure.expectedUsersExposed,
      b: s.exposure.usersExposed,
      color: "#e15759",
      note: `${int(s.exposure.usersExposed)} · expected ${dec(s.exposure.expectedUsersExposed, 1)}`,
    })),
    { labels: ["expected", "seeded replay"], caption: "Users exposed to the new version per step" },
  );
  const tbl = table(steps, [
    { head: "step", cell: (s) => s.name },
    { head: "start (UTC)", cell: (s) => (s.start ? s.start.slice(5, 16).replace("T", " ") : "–"), sort: (s) => s.start ?? "", nowrap: true },
    { head: "holds", cell: (s) => (s.duration === null ? (s.hold === "end" ? "to the end" : "open") : formatDuration(s.duration)), sort: (s) => s.duration ?? Number.MAX_SAFE_INTEGER, nowrap: true },
    { head: "weight", cell: (s) => (s.weight === null ? "–" : String(s.weight)), num: true, sort: (s) => s.weight ?? -1 },
    { head: "requests", cell: (s) => s.exposure.requests, num: true },
    { head: "on new version", cell: (s) => (reachedEither(s) ? `${pct(s.exposure.expectedNewVersionShare, 1)} (${int(s.exposure.canaryRequests)})` : "–"), num: true, sort: (s) => s.exposure.expectedNewVersionShare },
    { head: "users exposed", cell: (s) => `${dec(s.exposure.expectedUsersExposed, 1)} (${int(s.exposure.usersExposed)})`, num: true, sort: (s) => s.exposure.expectedUsersExposed },
    { head: "saw both", cell: (s) => `${dec(s.exposure.expectedUsersBoth, 1)} (${int(s.exposure.usersBoth)})`, num: true, sort: (s) => s.exposure.expectedUsersBoth },
    { head: "failed", cell: (s) => `${dec(s.exposure.failed.expected, 1)} (${int(s.exposure.failed.drawn)})`, num: true, sort: (s) => s.exposure.failed.expected },
    ...(retried
      ? [
          { head: "without retries", cell: (s: RolloutReport["steps"][number]) => `${dec(s.exposure.failed.expectedWithoutRetries, 1)} (${int(s.exposure.failed.drawnWithoutRetries)})`, num: true, sort: (s: RolloutReport["steps"][number]) => s.exposure.failed.expectedWithoutRetries },
          { head: "retries", cell: (s: RolloutReport["steps"][number]) => `${dec(s.exposure.failed.expectedRetries, 1)} (${int(s.exposure.failed.retries)})`, num: true, sort: (s: RolloutReport["steps"][number]) => s.exposure.failed.expectedRetries },
        ]
      : []),
  ]);
  const versions = `<p class="muted small">${esc(`${versionsLine(e.canary, e.stable).trim().replace(/^n/, "N").replaceAll("; ", " · ")}${Object.keys(r.errorRates).length ? ` · error rates: ${errorRatesText(r)}` : ""}`)}</p>`;
  const overall = replayBody(r.overall.report, o, "overall-");
  const body = [
    warningsSection(r.warnings),
    cards,
    section(
      "steps",
      "Steps",
      share + users + tbl + versions,
      `Each step's routes held while its requests arrived. Expected figures come from the weights; figures in brackets are the seeded replay. The share on the new version counts only requests that reached one of the two versions.${retried ? " Failed requests are counted after the route rules' retries; retries are the attempts beyond the first." : ""}`,
    ),
    `<details open><summary>All requests, every step together</summary>${overall.body}</details>`,
  ].join("\n");
  const title = `gwsim rollout report${r.name ? `: ${r.kind} ${r.name}` : ""}`;
  return page(title, o.subtitle ?? `${int(r.requests)} requests across ${steps.length} steps`, o, [["steps", "Steps"], ...overall.nav.slice(0, 4)], body);
}

/** Whether any request of the step could reach either version (else its new-version share means nothing). */
function reachedEither(s: RolloutReport["steps"][number]): boolean {
  const x = s.exposure;
  return x.expectedCanaryRequests + x.expectedStableRequests > 0 || x.canaryRequests + x.stableRequests > 0;
}

/** One self-contained HTML page for a replay, a what-if or a rollout report. */
export function renderHtml(report: Report | WhatifReport | RolloutReport, options: HtmlOptions = {}): string {
  if (isWhatif(report)) return renderWhatif(report, options);
  if (isRollout(report)) return renderRollout(report, options);
  return renderReplay(report, options);
}

