import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { parseManifestFiles, type Diagnostic, type ForeignObject, type ManifestObject } from "@gwsim/core";

export interface LoadedManifests {
  objects: ManifestObject[];
  /** Problems inside readable files: syntax, duplicates, skipped kinds. */
  diagnostics: Diagnostic[];
  /** Paths that could not be read at all (exit code 2). */
  unreadable: Diagnostic[];
  files: string[];
  /** Objects of kinds gwsim does not read (pass them as BuildOptions.foreignObjects). */
  skipped: ForeignObject[];
}

export interface ReadSource {
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
  cwd: string;
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

export const nodeSource = (cwd = process.cwd()): ReadSource => ({
  cwd,
  readFile: (p) => readFile(p, "utf8"),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
});

/** Reads `-f` paths: files, directories (recursively, sorted), or `-` for stdin. */
export async function loadManifests(paths: string[], source: ReadSource = nodeSource()): Promise<LoadedManifests> {
  const texts: { file: string; text: string }[] = [];
  const unreadable: Diagnostic[] = [];
  const emptyDirs: Diagnostic[] = [];
  for (const p of paths) {
    if (p === "-") {
      texts.push({ file: "<stdin>", text: await source.readStdin() });
      continue;
    }
    const abs = resolve(source.cwd, p);
    try {
      const files = await expand(abs);
      // A directory without one manifest file is most likely the wrong path: said, not fatal.
      if (files.length === 0 && (await stat(abs)).isDirectory()) emptyDirs.push(emptyDirDiagnostic(p));
      for (const file of files) {
        const shown = displayPath(file, source.cwd);
        try {
          texts.push({ file: shown, text: await source.readFile(file) });
        } catch (e) {
          unreadable.push(ioDiagnostic(shown, e));
        }
      }
    } catch (e) {
      unreadable.push(ioDiagnostic(p, e));
    }
  }
  const { objects, diagnostics, skipped } = parseManifestFiles(texts);
  return { objects, diagnostics: [...emptyDirs, ...diagnostics], unreadable, files: texts.map((t) => t.file), skipped };
}

async function expand(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const out: string[] = [];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    // A ConfigMap volume (kubelet's atomic writer) holds each key twice: `x.yaml -> ..data/x.yaml`
    // and the real file in a `..2026_11_26_...` directory `..data` points to. The links are the
    // volume's content; `..` entries are the writer's internals (read, every object came twice).
    if (e.name.startsWith("..")) continue;
    const full = join(path, e.name);
    if (e.isDirectory()) out.push(...(await expand(full)));
    else if (MANIFEST_FILE.test(e.name)) out.push(full);
  }
  return out;
}

function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith("..") ? file : rel;
}

function emptyDirDiagnostic(dir: string): Diagnostic {
  return { code: "io.empty-directory", severity: "warning", file: dir, line: 0, column: 0, path: "", message: "no .yaml, .yml or .json file in this directory" };
}

function ioDiagnostic(file: string, e: unknown): Diagnostic {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === "ENOENT" ? "no such file or directory" : err.code === "EACCES" ? "permission denied" : err.message;
  return { code: "io.unreadable", severity: "error", file, line: 0, column: 0, path: "", message: `cannot read ${file}: ${why}` };
}
