/**
 * Reload triggers: manifest files changing on disk (debounced, so an editor's save or a
 * `kubectl`-style atomic rename counts once) and SIGHUP.
 */
import { lstatSync, watch, type FSWatcher } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join, resolve as resolvePath } from "node:path";

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

interface DirWatch {
  watcher: FSWatcher;
  /** The directory's inode when it was armed: a directory replaced by rename is re-armed. */
  ino: number;
}

/**
 * Watches files and directories; calls `onChange` once per burst of changes.
 *
 * Every directory is watched on its own, non-recursively, and the tree is walked again after
 * each burst, arming watchers for new directories and dropping those of removed or replaced
 * ones. Node 20's `fs.watch(dir, { recursive: true })` on Linux (a JS emulation over inotify)
 * loses a file once it is replaced by rename (`sed -i`, editors, `kubectl`-style saves): later
 * writes to it were never reported. A plain inotify watch on the directory sees the rename and
 * every later write. A file is watched through its directory, so replacing it is seen too.
 */
export async function watchPaths(paths: readonly string[], onChange: () => void, debounceMs = 200): Promise<() => void> {
  const dirs = new Map<string, DirWatch>();
  const fileWatchers: FSWatcher[] = [];
  const roots: string[] = [];
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let rescanning: Promise<void> = Promise.resolve();

  const fire = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      // Re-arm before reloading, so a change made while the reload reads is seen afterwards.
      rescanning = rescanning.then(rescan).then(() => {
        if (!closed) onChange();
      });
    }, debounceMs);
  };

  const onDirEvent = (dir: string, file: string | Buffer | null) => {
    if (file === null) return fire();
    const full = join(dir, file.toString());
    if (relevant(full)) fire();
  };

  // Editors' swap and backup files (`.x.swp`, `x~`, `4913`) changing must not reload; a manifest,
  // a directory, or a symlink (a ConfigMap volume swaps its `..data` link) does.
  const relevant = (full: string): boolean => {
    if (MANIFEST_FILE.test(full) || dirs.has(full)) return true;
    try {
      return !lstatSync(full).isFile();
    } catch {
      return false;
    }
  };

  const arm = (dir: string, ino: number) => {
    try {
      const watcher = watch(dir, (_event, file) => onDirEvent(dir, file));
      // A removed directory's watcher errors or goes quiet; the next walk drops it.
      watcher.on("error", () => fire());
      dirs.set(dir, { watcher, ino });
    } catch {
      // A directory that cannot be watched still reloads on SIGHUP.
    }
  };

  const walk = async (dir: string, seen: Map<string, number>) => {
    let info;
    try {
      info = await stat(dir);
    } catch {
      return;
    }
    if (!info.isDirectory()) return;
    seen.set(dir, info.ino);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    // Only real subdirectories, as the loader reads them (it does not follow directory symlinks).
    for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name), seen);
  };

  const rescan = async () => {
    if (closed) return;
    const seen = new Map<string, number>();
    for (const root of roots) await walk(root, seen);
    if (closed) return;
    for (const [dir, w] of dirs) {
      if (seen.get(dir) === w.ino) continue;
      w.watcher.close();
      dirs.delete(dir);
    }
    for (const [dir, ino] of seen) if (!dirs.has(dir)) arm(dir, ino);
  };

  for (const p of paths) {
    const abs = resolvePath(p);
    let isDir = false;
    try {
      isDir = (await stat(abs)).isDirectory();
    } catch {
      continue;
    }
    if (isDir) roots.push(abs);
    else {
      const name = basename(abs);
      try {
        const watcher = watch(dirname(abs), (_event, file) => {
          if (file === null || file.toString() === name) fire();
        });
        watcher.on("error", () => undefined);
        fileWatchers.push(watcher);
      } catch {
        // A path that cannot be watched still reloads on SIGHUP.
      }
    }
  }
  await rescan();

  return () => {
    closed = true;
    if (timer) clearTimeout(timer);
    for (const w of fileWatchers) w.close();
    for (const w of dirs.values()) w.watcher.close();
    dirs.clear();
  };
}
