// Auto-detection: the format is read off the first lines of a trace.
import { isObject, withoutKubectlPrefix } from "./common.js";
import { looksLikeCsvHeader } from "./csv.js";
import { COLLECTOR_SNIFF_LINES, notBlank, opensCollectorTrace, unwrapDockerLines } from "./docker.js";
import { ENVOY_TCP_LINE, looksLikeEnvoyJson, parseEnvoyText } from "./envoy.js";
import { HAPROXY_BADREQ, parseHaproxy } from "./haproxy.js";
import { COMBINED_NO_REQUEST, parseCombined } from "./nginx.js";
import type { LineResult, ReadTraceOptions, TraceFormat } from "./types.js";

/** How many non-blank lines detection looks at first. */
export const SNIFF_LINES = 20;
/**
 * How many it reads on to when none of the first is recognised: `kubectl logs` of an Envoy or
 * istio-proxy container opens with the proxy's own startup log (often over a hundred lines)
 * before the first access log line.
 */
export const SNIFF_MORE_LINES = 2000;
/** How much text detection reads at most before deciding. */
export const SNIFF_CHARS = 256 * 1024;

// Each with the reasons of lines that are in its layout and carry no request (an Envoy TCP proxy
// line, a client that sent nothing): they count for the layout, so a log opening with them is still known.
const LINE_FORMATS: [TraceFormat, (line: string) => LineResult, string][] = [
  ["envoy", parseEnvoyText, ENVOY_TCP_LINE],
  ["haproxy", parseHaproxy, HAPROXY_BADREQ],
  ["nginx", parseCombined, COMBINED_NO_REQUEST],
];

const JSON_STRING = '"(?:[^"\\\\]|\\\\.)*"';
const HAR_START_RE = new RegExp(`^\\{\\s*(?:"_(?:[^"\\\\]|\\\\.)*"\\s*:\\s*(?:${JSON_STRING}|[-+.\\w]+)\\s*,\\s*)*"log"\\s*:\\s*\\{`);

const EXTENSIONS: [RegExp, TraceFormat][] = [
  [/\.har$/i, "har"],
  [/\.(csv|tsv)$/i, "csv"],
  [/\.(jsonl|ndjson)$/i, "jsonl"],
];

function fromExtension(file: string | undefined): TraceFormat | undefined {
  return file ? EXTENSIONS.find(([re]) => re.test(file))?.[1] : undefined;
}

/**
 * Picks the format of a trace from its head (the first lines; `complete` when the head is the whole input).
 * Options that only one format takes (logFormat, csvColumns) decide it; then the content; the file
 * extension only when the content is not recognised.
 */
export function detectFormat(head: string, options: ReadTraceOptions = {}, complete = true): TraceFormat | "unknown" {
  if (options.logFormat !== undefined) return "nginx";
  if (options.csvColumns !== undefined) return "csv";
  const content = detectContent(head, complete, SNIFF_LINES) ?? detectContent(head, complete, SNIFF_MORE_LINES);
  // A head that is one unfinished line opening with "{" (longer than the head): only JSON Lines
  // requests (headers, certificates) run that long.
  const longJson = /^\uFEFF?\s*\{/.test(head) ? "jsonl" : undefined;
  return content ?? fromExtension(options.file) ?? longJson ?? "unknown";
}

/**
 * Whether the first SNIFF_LINES lines of a head say what the trace is; when not, readers read on
 * (up to SNIFF_MORE_LINES) before detectFormat decides.
 */
export function recognised(head: string, options: ReadTraceOptions = {}, complete = true): boolean {
  return options.logFormat !== undefined || options.csvColumns !== undefined || detectContent(head, complete, SNIFF_LINES) !== undefined;
}

/**
 * Whether a trace is a log collector's records (docker.ts opensCollectorTrace), judged from a head
 * of it as the readers judge it line by line: its first non-blank line among the first
 * COLLECTOR_SNIFF_LINES, unless the head ends inside that line.
 */
export function collectorWrapped(head: string, complete: boolean): boolean {
  const text = head.charCodeAt(0) === 0xfeff ? head.slice(1) : head;
  let start = 0;
  for (let n = 0; n < COLLECTOR_SNIFF_LINES && start < text.length; n++) {
    let end = text.indexOf("\n", start);
    if (end === -1) {
      if (!complete) return false;
      end = text.length;
    }
    const line = text.slice(start, end > start && text.charCodeAt(end - 1) === 13 /* \r */ ? end - 1 : end);
    if (notBlank(line)) return opensCollectorTrace(line);
    start = end + 1;
  }
  return false;
}

/** The format the content of a head shows, judged on its first `maxLines` non-blank lines. */
function detectContent(head: string, complete: boolean, maxLines: number): TraceFormat | undefined {
  const text = head.charCodeAt(0) === 0xfeff ? head.slice(1) : head;
  const start = text.trimStart();
  if (start === "") return undefined;
  // A HAR is one JSON document whose only member is "log" (custom "_" members may come first, HAR 1.2
  // "Custom fields"); pretty-printed JSON opens with "{" alone on a line.
  if (HAR_START_RE.test(start) || start.split("\n", 1)[0]!.trim() === "{") return "har";
  const all = text.split("\n");
  if (!complete) all.pop(); // the head ends inside a line
  // Docker json-file lines are read for the line they wrap (readers take the wrapper off alike).
  const bare = all.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  // Collectors' records too, when the trace opens with one (as the readers decide).
  const unwrapped = unwrapDockerLines(bare, collectorWrapped(head, complete));
  const wrapped = unwrapped.length !== bare.length || unwrapped.some((l, i) => l !== bare[i]);
  const lines = unwrapped
    .map(withoutKubectlPrefix)
    .filter((l) => l.trim() !== "")
    .slice(0, maxLines);
  // JSON objects are counted on every line, not only when the first one is: a JSONL trace may open
  // with a broken line, a comment or a stray array.
  let objects = 0;
  let envoy = 0;
  for (const line of lines) {
    if (!line.trimStart().startsWith("{")) continue;
    try {
      const o: unknown = JSON.parse(line);
      if (isObject(o)) {
        objects++;
        if (looksLikeEnvoyJson(o)) envoy++;
      }
    } catch {
      // a bad line among good ones: the reader reports it
    }
  }
  const json: TraceFormat = envoy * 2 > objects ? "envoy" : "jsonl";
  // A trace opening with a JSON object is JSON (within Docker's wrapper: opening with a wrapped one).
  if (objects && (wrapped ? (lines[0] ?? "").trimStart() : start).startsWith("{")) return json;
  if (lines[0] !== undefined && looksLikeCsvHeader(lines[0])) return "csv";
  let best: TraceFormat | undefined;
  let bestCount = 0;
  for (const [format, parse, inLayout] of LINE_FORMATS) {
    let count = 0;
    for (const line of lines) {
      const r = parse(line);
      if ((r !== null && typeof r === "object") || r === inLayout) count++;
    }
    if (count > bestCount) {
      best = format;
      bestCount = count;
    }
  }
  if (objects && objects >= bestCount) return json;
  return best;
}
