/**
 * RequestHeaderModifier (applied to the forwarded headers) and ResponseHeaderModifier
 * (recorded as edits for the response). Names are case-insensitive (RFC 9110 §5.1) and
 * always written lower-case.
 */
import type { HeaderEdits } from "../../model/decision.js";
import type { HeaderModifier } from "../../resolve/graph.js";
import { setHeader } from "../normalize.js";

/** Header values by lower-case name, in the order received. */
export type HeaderMap = Map<string, string[]>;

/**
 * Applies one modifier: set, then add, then remove. The spec calls a modifier that names one
 * header in more than one action invalid (resolve marks it); this order is what gwsim does if
 * one gets through. Within one list only the first entry for a name counts (HTTPHeader doc).
 * `add` appends the value as one more field line after the existing ones: the HTTP conformance
 * tests compare the values joined with "," (`some-other-value,add-appends-values`, the spec's
 * `foo,bar,baz`, equivalent by RFC 9110 §5.3), and gRPC metadata keeps separate entries
 * (`[original, added]`), which only this form gives.
 */
export function modifyHeaders(headers: HeaderMap, modifier: HeaderModifier): { headers: HeaderMap; notes: string[] } {
  const out: HeaderMap = new Map(headers);
  const notes: string[] = [];
  for (const { name, value } of firstPerName(modifier.set ?? [])) {
    out.set(name, [value]);
    notes.push(`set ${name}: ${value}`);
  }
  for (const { name, value } of firstPerName(modifier.add ?? [])) {
    out.set(name, [...(out.get(name) ?? []), value]);
    notes.push(`add ${name}: ${value}`);
  }
  for (const raw of modifier.remove ?? []) {
    const name = raw.toLowerCase();
    if (out.delete(name)) notes.push(`remove ${name}`);
    else notes.push(`remove ${name} (absent)`);
  }
  return { headers: out, notes };
}

function firstPerName(list: { name: string; value: string }[]): { name: string; value: string }[] {
  const seen = new Set<string>();
  const out: { name: string; value: string }[] = [];
  for (const h of list) {
    const name = h.name.toLowerCase();
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({ name, value: h.value });
  }
  return out;
}

/**
 * Composes response header edits: `next` happens after `prev`, and the result applied once
 * (set, add, remove) equals the two applied in turn. A later set of a name cancels an earlier
 * remove of it, and a later add after a remove becomes a set (only the added value is left); a
 * later remove cancels earlier sets and adds; a later set replaces an earlier add; adds of one
 * name join with "," in `set`/`add` and stay separate
 * values in `setAll`/`addAll` (HeaderEdits): two filters adding `set-cookie` (rule and
 * backendRef level) are two cookies, which one folded line would merge into one (RFC 6265 §3).
 */
export function composeHeaderEdits(prev: HeaderEdits | null, modifier: HeaderModifier): HeaderEdits {
  const set: Record<string, string> = { ...(prev?.set ?? {}) };
  const add: Record<string, string> = { ...(prev?.add ?? {}) };
  const setAll = linesOf(prev?.set, prev?.setAll);
  const addAll = linesOf(prev?.add, prev?.addAll);
  let remove = [...(prev?.remove ?? [])];
  for (const { name, value } of firstPerName(modifier.set ?? [])) {
    set[name] = value;
    setAll[name] = [value];
    delete add[name];
    delete addAll[name];
    remove = remove.filter((r) => r !== name);
  }
  for (const { name, value } of firstPerName(modifier.add ?? [])) {
    if (Object.hasOwn(set, name)) {
      set[name] = `${set[name]},${value}`;
      setAll[name] = [...setAll[name]!, value];
    } else if (remove.includes(name)) {
      // The response's own values are gone: what is left is exactly the added one.
      set[name] = value;
      setAll[name] = [value];
    } else {
      add[name] = Object.hasOwn(add, name) ? `${add[name]},${value}` : value;
      addAll[name] = [...(addAll[name] ?? []), value];
    }
    remove = remove.filter((r) => r !== name);
  }
  for (const raw of modifier.remove ?? []) {
    const name = raw.toLowerCase();
    delete set[name];
    delete add[name];
    delete setAll[name];
    delete addAll[name];
    if (!remove.includes(name)) remove.push(name);
  }
  return { set, add, remove, setAll, addAll };
}

/**
 * The gateway's own answer (a CORS preflight): its headers `own` show as set edits, with the
 * filters' edits on top, so CONTRACT readers see them.
 */
export function answerHeaderEdits(own: Record<string, string>, edits: HeaderEdits | null): HeaderEdits {
  const ownLines = linesOf(own, undefined);
  return {
    set: { ...own, ...(edits?.set ?? {}) },
    add: { ...(edits?.add ?? {}) },
    remove: [...(edits?.remove ?? [])],
    setAll: { ...ownLines, ...linesOf(edits?.set, edits?.setAll) },
    addAll: linesOf(edits?.add, edits?.addAll),
  };
}

/**
 * Each name's values as separate lines: `lines` when given (a copy), else each joined value as
 * one line (edits built without `setAll`/`addAll`).
 */
export function linesOf(joined: Record<string, string> | undefined, lines: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (lines) for (const name of Object.keys(lines)) out[name] = [...lines[name]!];
  else if (joined) for (const name of Object.keys(joined)) out[name] = [joined[name]!];
  return out;
}

/** Turns header values into the ForwardedRequest shape: one value as a string, several as a list. */
export function headersToRecord(headers: HeaderMap): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, values] of headers) setHeader(out, name, values.length === 1 ? values[0]! : [...values]);
  return out;
}

export function headersFromRecord(headers: Record<string, string | string[]>): HeaderMap {
  const out: HeaderMap = new Map();
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    out.set(key, [...(out.get(key) ?? []), ...(Array.isArray(value) ? value : [value])]);
  }
  return out;
}
