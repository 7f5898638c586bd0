/**
 * The readable report: what `gwsim replay` and `gwsim whatif` print without --json. Laid out for
 * a terminal of `width` columns (80 unless told): a long backend or route name is cut in its
 * middle (both ends tell names apart) and never cut to the same text as another name; prose
 * wraps. The JSON has every name whole.
 */
import type { BackendId } from "@gwsim/core";
import type { Report, RouteRow, SplitRow } from "../replay/types.js";
import type { WhatifReport } from "../replay/whatif.js";
import { dec, int, middleTruncate, num, pct, plural, signedPct, table, wrap } from "./table.js";

export interface TextOptions {
  /** Widest line; names are shortened to fit (default 80, at least MIN_TEXT_WIDTH). */
  width?: number;
}

export const DEFAULT_TEXT_WIDTH = 80;
/**
 * The narrowest layout: a split table's figures (weight, in use, requests, share, expected) take
 * about 50 columns, leaving a backend name 10. Narrower widths are laid out at this one.
 */
export const MIN_TEXT_WIDTH = 60;

/** The width a report is laid out at: options.width, at least MIN_TEXT_WIDTH. */
function widthOf(options: TextOptions): number {
  const w = options.width ?? DEFAULT_TEXT_WIDTH;
  return Number.isFinite(w) ? Math.max(MIN_TEXT_WIDTH, Math.floor(w)) : DEFAULT_TEXT_WIDTH;
}

/**
 * Narrowest a name column is cut to. At 80 columns the tables leave names 24 or more; only a
 * narrower layout (or very wide figures) cuts them shorter.
 */
const NAME_MIN = 10;

function name(b: BackendId): string {
  const kind = b.kind && b.kind !== "Service" ? `${b.kind}:` : "";
  return `${kind}${b.namespace}/${b.name}${b.port !== null && b.port !== undefined ? `:${b.port}` : ""}`;
}

function ruleText(r: Pick<RouteRow, "kind" | "namespace" | "name" | "rule" | "ruleName">): string {
  const rule = r.rule === null ? "" : ` rule ${r.rule}${r.ruleName ? ` (${r.ruleName})` : ""}`;
  return `${r.kind} ${r.namespace}/${r.name}${rule}`;
}

function pValue(p: number): string {
  return p < 0.0001 ? "< 0.0001" : p.toFixed(4);
}

/** A share of `n`, or "-" when there is nothing to take a share of. */
function shareOf(count: number, n: number): string {
  return n ? pct(count / n) : "-";
}

/** Route kinds whose invalid backends refuse the connection rather than answer 500. */
const STREAM_KINDS = new Set(["TCPRoute", "TLSRoute", "UDPRoute"]);

function splitBlock(s: SplitRow, precision: Report["precision"], width: number): string {
  const effective = precision !== "exact";
  const rows = [
    ["backend", "weight", ...(effective ? ["in use"] : []), "requests", "share", "expected"],
    ...s.backends.map((b) => [
      name(b) + (b.valid ? "" : STREAM_KINDS.has(s.kind) ? " (invalid: refused)" : " (invalid: 500)"),
      String(b.weight),
      ...(effective ? [String(b.effectiveWeight)] : []),
      int(b.count),
      shareOf(b.count, s.count),
      pct(b.expectedShare),
    ]),
  ];
  const count = `: ${plural(s.count, "request")}`;
  const lines = [
    `  ${middleTruncate(ruleText(s), Math.max(NAME_MIN, width - 2 - count.length))}${count}`,
    table(rows, ["l", "r", ...(effective ? ["r" as const] : []), "r", "r", "r"], "    ", { maxWidth: width, shrink: 0, minShrink: NAME_MIN }),
  ];
  const notes: string[] = [];
  if (s.chiSquare) notes.push(`chi-square ${num(s.chiSquare.statistic, 2)} (df ${s.chiSquare.df}), p ${pValue(s.chiSquare.pValue)}`);
  if (s.users) notes.push(`${plural(s.users, "user")}, ${int(s.usersMultiBackend)} saw more than one backend`);
  if (s.sessionPersistence) notes.push("sessionPersistence set");
  if (notes.length) lines.push(wrap(`    ${notes.join("; ")}`, width));
  return lines.join("\n");
}

/** Status, count, class and the first example when it says more than the class (cut at its end to fit, then the class in its middle). */
function failingTable(rows: readonly { status: number; method: string; host: string; path: string; count: number; example: string }[], width: number): string {
  return table(
    rows.map((f) => {
      const cls = `${f.method} ${f.host}${f.path}`;
      const prefix = `${f.method} ${f.host}`;
      const example = f.example === cls ? "" : f.example.startsWith(prefix) && f.example.length > prefix.length ? f.example.slice(prefix.length) : f.example;
      return [String(f.status), int(f.count), cls, example ? `e.g. ${example}` : ""];
    }),
    ["l", "r", "l", "l"],
    "  ",
    { maxWidth: width, shrink: [{ col: 3, cut: "end", min: 12 }, { col: 2, min: 20 }] },
  );
}

function warningLines(warnings: readonly string[], width: number): string[] {
  return warnings.length ? ["", "Warnings", ...warnings.map((w) => wrap(`  - ${w}`, width, "  "))] : [];
}

export function renderText(report: Report, options: TextOptions = {}): string {
  const width = widthOf(options);
  const n = report.requests;
  const out: string[] = [];
  const say = (text: string): string => wrap(text, width);
  out.push(say(`Replayed ${plural(n, "request")} (seed ${report.seed}, split ${report.split}, precision ${report.precision})`));
  // Warnings lead: they say which figures below not to trust.
  out.push(...warningLines(report.warnings, width));
  if (n === 0) {
    out.push("", "The trace has no requests: nothing to report.");
    return `${out.join("\n")}\n`;
  }

  const backends = [...report.backends].sort((a, b) => b.count - a.count || b.expectedShare - a.expectedShare);
  if (backends.length) {
    out.push("", say(`Backends (share of all ${plural(n, "request")}; expected: from the weights)`));
    out.push(
      table(
        [
          ["backend", "requests", "share", "95% CI", "expected"],
          ...backends.map((b) => [name(b) + (b.valid ? "" : " (invalid)"), int(b.count), pct(b.share), `${pct(b.ci95[0])}-${pct(b.ci95[1])}`, pct(b.expectedShare)]),
        ],
        ["l", "r", "r", "r", "r"],
        "  ",
        { maxWidth: width, shrink: 0, minShrink: NAME_MIN },
      ),
    );
    if (report.exposure.users > 0) {
      const withUsers = [...report.backends].filter((b) => b.users > 0 || b.expectedUsers > 0).sort((a, b) => b.users - a.users || b.expectedUsers - a.expectedUsers);
      out.push("", say(`Users per backend (of ${plural(report.exposure.users, "distinct user")}; expected: independent draws)`));
      out.push(table([["backend", "users", "expected users"], ...withUsers.map((b) => [name(b), int(b.users), dec(b.expectedUsers, 1)])], ["l", "r", "r"], "  ", { maxWidth: width, shrink: 0, minShrink: NAME_MIN }));
    }
  } else out.push("", "Backends: no request reached a backend.");

  const splits = report.splits.filter((s) => s.backends.length > 1);
  if (splits.length) out.push("", say("Weighted splits (shares of the requests that reached each split)"), ...splits.map((s) => splitBlock(s, report.precision, width)));

  if (report.routes.length) {
    out.push("", "Route rules hit (shares of all requests)");
    out.push(table([...report.routes].sort((a, b) => b.count - a.count).map((r) => [ruleText(r), int(r.count), pct(r.count / n)]), ["l", "r", "r"], "  ", { maxWidth: width, shrink: 0, minShrink: NAME_MIN }));
  }

  out.push("", "Outcomes (shares of all requests)");
  out.push(table(Object.entries(report.outcomes).map(([k, v]) => [k, int(v ?? 0), pct((v ?? 0) / n)]), ["l", "r", "r"]));
  const statuses = Object.entries(report.statuses);
  out.push("", statuses.length ? "Answered by the gateway (shares of all requests)" : "Answered by the gateway: none");
  if (statuses.length) out.push(table(statuses.map(([k, v]) => [k, int(v), pct(v / n)]), ["l", "r", "r"]));

  if (report.failing.length) {
    out.push("", say("Top request classes answered 404 or 500 (first example, when it differs)"));
    out.push(failingTable(report.failing, width));
  }

  if (report.mirrors.length) {
    out.push("", say("Mirrored traffic (copies sent to each mirror; share of all requests)"));
    out.push(
      table(
        // `expected` is a share, as in every other table (the JSON keeps the expected number of copies).
        [["mirror", "copies", "share", "expected"], ...report.mirrors.map((m) => [name(m) + (m.valid ? "" : " (invalid: nothing sent)"), int(m.count), pct(m.count / n), pct(m.expected / n)])],
        ["l", "r", "r", "r"],
        "  ",
        { maxWidth: width, shrink: 0, minShrink: NAME_MIN },
      ),
    );
  }

  if (report.observed) {
    const o = report.observed;
    out.push(
      "",
      wrap(
        o.agreement === null || o.compared === 0
          ? `Observed vs simulated: none of the ${plural(o.records, "record")} with observations could be compared`
          : `Observed vs simulated: ${pct(o.agreement, 1)} agree (${int(o.agree)} of ${int(o.compared)} comparable, ${plural(o.records, "record")} with observations)`,
        width,
      ),
    );
    if (o.differences.length) {
      out.push(table([["observed", "simulated", "requests", "first"], ...o.differences.map((d) => [d.observed, d.simulated, int(d.count), d.example])], ["l", "l", "r", "l"], "  ", {
          maxWidth: width,
          // Names keep 20 characters at 80 columns; fewer on a narrower layout.
          shrink: [{ col: 3, cut: "end", min: 12 }, { col: 1, min: Math.min(20, Math.floor(width / 4)) }, { col: 0, min: Math.min(20, Math.floor(width / 4)) }],
        }));
    }
  }

  const e = report.exposure;
  out.push(
    "",
    say(`Users: ${plural(e.users, "distinct user")}, ${plural(e.anonymousRequests, "request")} without a user;`),
    wrap(`  ${plural(e.usersMultiBackend, "user")} reached more than one backend of a split`, width),
  );
  if (report.timeline) {
    const t = report.timeline;
    const short = (iso: string) => iso.replace(".000Z", "Z");
    const first = short(t.buckets[0]!.start);
    const end = short(new Date(Date.parse(t.buckets[t.buckets.length - 1]!.start) + t.bucketSeconds * 1000).toISOString());
    out.push(say(`Time: ${first} to ${end}`), wrap(`  ${plural(t.buckets.length, "bucket")} of ${t.bucketSeconds}s with requests${t.untimed ? `; ${plural(t.untimed, "request")} without a time` : ""}`, width));
  } else if (n > 0) out.push("Time: no request has a time");
  return `${out.join("\n")}\n`;
}

function moveLabel(m: { method: string; host: string; path: string }): string {
  return `${m.method} ${m.host}${m.path}`;
}

export function renderWhatifText(r: WhatifReport, options: TextOptions = {}): string {
  const width = widthOf(options);
  const out: string[] = [];
  const say = (text: string): string => wrap(text, width);
  out.push(say(`What-if over ${plural(r.requests, "request")} (seed ${r.before.seed}, split ${r.before.split}, precision ${r.before.precision})`));
  const warnings = [...new Set([...r.before.warnings.map((w) => `before: ${w}`), ...r.after.warnings.map((w) => `after: ${w}`)])];
  out.push(...warningLines(warnings, width));
  if (r.requests === 0) {
    out.push("", "The trace has no requests: nothing to compare.");
    return `${out.join("\n")}\n`;
  }
  if (r.backends.length) {
    out.push("", say(`Expected share of all ${plural(r.requests, "request")} per backend (from the weights)`));
    out.push(
      table(
        [["backend", "before", "after", "change"], ...r.backends.map((b) => [name(b), pct(b.before.expectedShare), pct(b.after.expectedShare), signedPct(b.delta)])],
        ["l", "r", "r", "r"],
        "  ",
        { maxWidth: width, shrink: 0, minShrink: NAME_MIN },
      ),
    );
    const users = r.before.exposure.users > 0;
    out.push("", "The seeded replay: requests" + (users ? " and distinct users" : "") + " per backend");
    out.push(
      table(
        [
          ["backend", "requests before", "after", ...(users ? ["users before", "after"] : [])],
          ...r.backends.map((b) => [name(b), int(b.before.count), int(b.after.count), ...(users ? [int(b.before.users), int(b.after.users)] : [])]),
        ],
        ["l", "r", "r", "r", "r"],
        "  ",
        { maxWidth: width, shrink: 0, minShrink: NAME_MIN },
      ),
    );
  } else out.push("", "Backends: no request reaches a backend before or after.");
  out.push("", say(`Moved: ${dec(r.moved.expected, 1)} requests expected, ${int(r.moved.count)} in the seeded replay`));
  if (r.moves.length) {
    // Grouped by where they move (from → to), the biggest flow first; classes under each.
    const groups = new Map<string, { total: number; rows: WhatifReport["moves"] }>();
    for (const m of r.moves) {
      const half = Math.floor((width - 24) / 2);
      const key = `${middleTruncate(m.from, half)} → ${middleTruncate(m.to, half)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { total: 0, rows: [] }));
      g.total += m.expected;
      g.rows.push(m);
    }
    for (const [key, g] of [...groups.entries()].sort((a, b) => b[1].total - a[1].total || (a[0] < b[0] ? -1 : 1))) {
      out.push(wrap(`  ${key}: ${dec(g.total, 1)} expected`, width, "    "));
      out.push(table(g.rows.map((m) => [moveLabel(m), dec(m.expected, 1)]), ["l", "r"], "    ", { maxWidth: width, shrink: 0, minShrink: NAME_MIN }));
    }
  }
  out.push("", say(`New 404: ${int(r.new404)}  New 500: ${int(r.new500)}  Fixed 404: ${int(r.fixed404)}  Fixed 500: ${int(r.fixed500)}`));
  if (r.newFailures.length) out.push(failingTable(r.newFailures, width));
  return `${out.join("\n")}\n`;
}
