/**
 * Input and output files named by flags (--trace, --requests, --profile, --rollout, --html, --record, ...):
 * one way to say a path cannot be used, `gwsim: PATH: cannot read: REASON`, exit 2, checked before the work.
 */
import { createReadStream, type ReadStream } from "node:fs";
import { access, constants, stat, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { PathError, type Io } from "./io.js";

/** A file-system error in words. */
export function ioReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "is a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTDIR":
      return "a parent is not a directory";
    default:
      return err?.message ?? String(e);
  }
}

/**
 * Checks that a file can be read (it exists, it is not a directory, read is allowed) before the work:
 * Linux opens a directory and fails only on the first read. Pipes and devices (<(...), /dev/stdin) pass.
 */
export async function checkInput(io: Io, shown: string): Promise<void> {
  const path = resolve(io.cwd, shown);
  try {
    if ((await stat(path)).isDirectory()) throw new PathError(shown, "read", "is a directory");
    await access(path, constants.R_OK);
  } catch (e) {
    if (e instanceof PathError) throw e;
    throw new PathError(shown, "read", ioReason(e));
  }
}

/** Reads a whole file (`shown` is the path as the user typed it). */
export async function readInput(io: Io, shown: string): Promise<string> {
  await checkInput(io, shown);
  try {
    return await io.readFile(resolve(io.cwd, shown));
  } catch (e) {
    throw new PathError(shown, "read", ioReason(e));
  }
}

/** Opens a file for streaming once it is known to open. */
export async function openInput(io: Io, shown: string): Promise<ReadStream> {
  await checkInput(io, shown);
  const stream = createReadStream(resolve(io.cwd, shown));
  await new Promise<void>((done, fail) => {
    stream.once("open", () => done());
    stream.once("error", (e) => fail(new PathError(shown, "read", ioReason(e))));
  });
  return stream;
}

/**
 * Checks that a file can be written (its directory exists, it is not a directory, write is allowed)
 * without creating it, so a long replay does not end on a typo in --html.
 */
export async function checkOutput(io: Io, shown: string): Promise<void> {
  const path = resolve(io.cwd, shown);
  const info = await stat(path).catch(() => null);
  if (info?.isDirectory()) throw new PathError(shown, "write", "is a directory");
  if (info) {
    await access(path, constants.W_OK).catch((e: unknown) => {
      throw new PathError(shown, "write", ioReason(e));
    });
    return;
  }
  const dir = dirname(path);
  const parent = await stat(dir).catch(() => null);
  if (!parent) throw new PathError(shown, "write", `no such directory ${dirname(shown)}`);
  if (!parent.isDirectory()) throw new PathError(shown, "write", `${dirname(shown)} is not a directory`);
  await access(dir, constants.W_OK).catch((e: unknown) => {
    throw new PathError(shown, "write", ioReason(e));
  });
}

/** Writes a whole file; a failure names the file. */
export async function writeOutput(io: Io, shown: string, text: string): Promise<void> {
  try {
    await writeFile(resolve(io.cwd, shown), text);
  } catch (e) {
    throw new PathError(shown, "write", ioReason(e));
  }
}
