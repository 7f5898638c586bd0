import type { Condition } from "./graph.js";

/** A condition without observedGeneration; the owner's generation is stamped on when status is written. */
export interface Cond {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
}

export const condTrue = (type: string, reason: string, message: string): Cond => ({ type, status: "True", reason, message });
export const condFalse = (type: string, reason: string, message: string): Cond => ({ type, status: "False", reason, message });

export function stamp(conds: readonly Cond[], generation: number): Condition[] {
  return conds.map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message, observedGeneration: generation }));
}

/** A problem found while resolving references: the reason it maps to and a sentence saying what to fix. */
export interface Problem {
  reason: string;
  message: string;
}

/** Joins problem messages for one condition; the first problem's reason is the condition's reason. */
export function summarize(problems: readonly Problem[]): Problem | null {
  const first = problems[0];
  if (!first) return null;
  return { reason: first.reason, message: problems.map((p) => p.message).join("; ") };
}

/** `a, b and c` */
export function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}
