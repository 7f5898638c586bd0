import { decide, emptyDecision, type Decision, type GatewayRequest } from "@gwsim/core";
import { explainNotes } from "./explain-notes.js";
import { entryDefaults, FILE_FLAG, loadWorld, withDefaults, WORLD_FLAGS } from "./common.js";
import { intFlag, parseFlags, type CommandSpec } from "./flags.js";
import { UsageError, type ExitCode, type Io } from "./io.js";
import { decisionSummary, renderExplained, requestLine } from "./render-decision.js";
import { readTrace, type BadSample } from "../trace/index.js";
import { checkInput, openInput } from "./paths.js";
import { middleTruncate } from "../report/table.js";

export const routeSpec: CommandSpec = {
  name: "route",
  summary: "decide where each request goes (one decision per request, in order)",
  usage: "gwsim route -f MANIFESTS --requests FILE|- [--seed N] [--json] [--explain]",
  description:
    "Reads requests as JSON Lines (CONTRACT's request shape) and writes one decision per request. A request without " +
    "an entry point goes to --gateway, or to the only Gateway when there is one. Lines that are not requests are " +
    "reported on stderr with their line number and answered, in their place, with an error decision (reason " +
    "UnreadableRequest, or decide's own 400 BadRequest for a request with a wrongly typed field). Without --json, each request is the id (its line " +
    "number when it has none) and the request line, with the decision under it, in 80 columns (long ids and request " +
    "lines cut in the middle); --explain adds the explanation's steps under each.",
  flags: [
    FILE_FLAG,
    { name: "requests", short: "r", type: "string", value: "FILE|-", description: "JSON Lines of requests (- for stdin)", stdin: true },
    { name: "seed", type: "string", value: "N", description: "seed of the weighted draw (default 1)" },
    { name: "json", type: "boolean", description: "JSON Lines of decisions instead of a table" },
    { name: "explain", type: "boolean", description: "add the explanation of each decision" },
    { name: "gateway", type: "string", value: "NS/NAME", description: "entry point for requests that name none" },
    ...WORLD_FLAGS,
  ],
  examples: ["gwsim route -f manifests/ --requests requests.jsonl --json", "echo '{\"host\":\"a.example.com\",\"path\":\"/\"}' | gwsim route -f gw.yaml --requests - --explain"],
};

/** Decisions written between waits for stdout to drain. */
const DRAIN_EVERY = 256;

export async function routeCommand(argv: string[], io: Io): Promise<ExitCode> {
  const { values } = parseFlags(routeSpec, argv);
  const seed = intFlag(values, "seed", 1);
  if (typeof values.requests !== "string") throw new UsageError("--requests FILE|- is required");
  if (values.requests !== "-") await checkInput(io, values.requests);
  const world = await loadWorld(values, io);
  if (!world) return 2;
  const defaults = entryDefaults(world, typeof values.gateway === "string" ? values.gateway : undefined);
  const input: AsyncIterable<string | Uint8Array> = values.requests === "-" ? io.stdin : await openInput(io, values.requests);
  const file = values.requests === "-" ? "<stdin>" : values.requests;
  // Lines that cannot be read still get their answer, in their place: tools pair requests and
  // decisions by position.
  const unread: BadSample[] = [];
  const reader = readTrace(input, { format: "jsonl", file, onBadLine: (bad) => void unread.push(bad) });
  const explain = Boolean(values.explain);
  let index = 0;
  let written = 0;
  const write = async (request: GatewayRequest | null, text: string, d: Decision, line: number): Promise<void> => {
    if (values.json) io.stdout(`${JSON.stringify(d)}\n`);
    else if (explain && request) io.stdout(renderExplained(request, d, middleTruncate(idText(d.id, line), ID_WIDTH)));
    else io.stdout(`${tableRow(idText(d.id, line), request ? requestLine(request) : text, decisionSummary(d))}\n`);
    // A slow reader (a pipe into less) must not make the whole output pile up in memory.
    if (++written % DRAIN_EVERY === 0 && io.stdoutDrained) await io.stdoutDrained();
  };
  const answerUnread = async (): Promise<void> => {
    for (const bad of unread.splice(0)) {
      const object = jsonObject(bad.text);
      // What decide answers itself (a wrongly typed field: 400) is the answer; else the reader's reason.
      const decided = object ? decide(world, withDefaults(object as GatewayRequest, defaults), { seed, index, explain }) : null;
      if (decided && decided.reason === "BadRequest") await write(null, bad.text, decided, bad.line);
      else await write(null, bad.text, unreadDecision(object?.id, bad), bad.line);
    }
  };
  for await (const record of reader) {
    if (unread.length) await answerUnread();
    const request = withDefaults(record, defaults);
    const decided = decide(world, request, { seed, index: index++, explain });
    // What `gwsim explain` adds under decide's steps, so both commands say the same.
    const notes = explain ? explainNotes(world, request, decided) : [];
    const d = notes.length ? { ...decided, explain: [...(decided.explain ?? []), ...notes] } : decided;
    await write(request, "", d, reader.stats.lines);
  }
  await answerUnread();
  const { stats } = reader;
  if (stats.bad > 0) {
    for (const s of stats.badSamples) io.stderr(`gwsim: ${file}:${s.line}:1: not read as a request: ${s.reason}\n`);
    io.stderr(`gwsim: ${file}: ${stats.bad} line(s) could not be read (each answered with an error decision), ${stats.records} request(s) routed\n`);
  }
  return 0;
}


/** The line as a JSON object, or null. */
function jsonObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The answer to a line that is no request gwsim can read: outcome error, no status (no gateway
 * saw it), reason UnreadableRequest, the reader's reason as the message and the line number.
 */
export function unreadDecision(id: unknown, bad: BadSample): Decision {
  return { ...emptyDecision(id), reason: "UnreadableRequest", message: `line ${bad.line}: ${bad.reason}`, line: bad.line };
}

/** A request's id as the table shows it: a string as is, anything else as JSON; the line number when it has none. */
export function idText(id: unknown, line: number): string {
  if (id === undefined || id === null) return String(line);
  return typeof id === "string" ? id : JSON.stringify(id);
}

/**
 * Each request is a row that fits 80 columns, laid out as `--explain` lays out its first lines:
 * `id  request` on the first line, the decision under it indented 2, wrapped with continuation
 * lines indented 6. Streamed row by row, so nothing is measured across rows. The id and the request
 * line are names and are cut in the middle when too long (as the reports cut names: a request
 * line's host starts it, its path ends it), as is any single word of the decision longer than a
 * line; the decision otherwise keeps every backend and route name whole. `--json` is unchanged.
 */
export const TABLE_WIDTH = 80;
/** The longest id shown whole. */
const ID_WIDTH = 24;

export function tableRow(id: string, request: string, summary: string): string {
  const shownId = middleTruncate(id, ID_WIDTH);
  const head = `${shownId}  ${middleTruncate(request, TABLE_WIDTH - [...shownId].length - 2)}`;
  return [head, ...wrapCut(summary, "  ", "      ")].join("\n");
}

/** Words filled into lines of at most TABLE_WIDTH characters; a word longer than a line is cut in the middle. */
function wrapCut(text: string, first: string, rest: string): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  // A number stays with the word before it: `rule 0`, `match 1`, `✗ 404`, `checkout-v2 10.00%`.
  for (const raw of text.split(/ (?![0-9])/)) {
    const word = middleTruncate(raw, TABLE_WIDTH - [...rest].length);
    if (!empty && [...line].length + 1 + [...word].length > TABLE_WIDTH) {
      lines.push(line);
      line = rest + word;
    } else line += (empty ? "" : " ") + word;
    empty = false;
  }
  lines.push(line);
  return lines;
}
