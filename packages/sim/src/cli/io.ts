import type { Readable } from "node:stream";
import type { ReadSource } from "../load/manifests.js";

/** What a command may touch; injected so commands are tested without spawning. */
export interface Io extends ReadSource {
  stdout(text: string): void;
  /**
   * Resolves when stdout has room again (its buffer is below the high-water mark, or it closed).
   * Commands that write without bound await it between chunks, so a slow reader bounds memory.
   */
  stdoutDrained?(): Promise<void>;
  stderr(text: string): void;
  stdin: Readable;
  stderrIsTTY: boolean;
  /** The terminal's width when stdout is a terminal; undefined when it is piped or redirected. */
  stdoutColumns?: number;
  env: Record<string, string | undefined>;
}

export type ExitCode = 0 | 1 | 2;

/** A usage problem: the command prints it with the usage line and exits 2. */
export class UsageError extends Error {
  readonly code = "usage";
}

/** A file a flag names that cannot be read or written: `gwsim: PATH: cannot read: REASON`, exit 2, no usage line. */
export class PathError extends Error {
  readonly code = "path";
  constructor(
    readonly path: string,
    readonly action: "read" | "write",
    readonly reason: string,
  ) {
    super(`${path}: cannot ${action}: ${reason}`);
  }
}
