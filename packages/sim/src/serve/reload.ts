/**
 * Reload triggers: manifest files changing on disk (debounced, so an editor's save or a
 * `kubectl`-style atomic rename counts once) and SIGHUP.
 */
import { lstatSync, watch, type FSWatcher } from "node:fs";
import { lstat, readdir, readlink, realpath, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve as resolvePath, sep } from "node:path";

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/** How often the roots are stat'ed, in case a replacement slipped past inotify. */
export const POLL_MS = 1500;

export interface WatchOptions {
  /** Quiet time that ends a burst of changes (one reload per burst). */
  debounceMs?: number;
  /** Period of the fallback stat of each `-f` path; 0 turns it off. */
  pollMs?: number;
}

interface DirWatch {
  watcher: FSWatcher;
  /** The directory's inode when it was armed: a directory replaced by rename is re-armed. */
  ino: number;
}

/** A directory watched for some of its entries only (a symlink on the way to a path, or the path). */
interface NamedWatch {
  watcher: FSWatcher;
  ino: number;
  names: Set<string>;
}

/** One entry whose replacement changes what a path names: `name` inside the directory `dir`. */
interface Point {
  dir: string;
  name: string;
}

/**
 * The entries a path's resolution goes through: each symlink met on the way (the link itself,
 * in the directory holding it) and the final entry. Resolved component by component, like
 * realpath(3), so a symlinked directory in the middle (a ConfigMap volume's `..data`) counts:
 * `DIR/x.yaml -> ..data/x.yaml`, `DIR/..data -> ..2026_11_26_...` gives
 * `(DIR, x.yaml)`, `(DIR, ..data)`, `(DIR/..2026_11_26_..., x.yaml)`. A missing entry is the
 * last point (its appearance is what to wait for).
 */
export async function resolutionPoints(path: string): Promise<Point[]> {
  const points: Point[] = [];
  let rest = resolvePath(path).split(sep).filter(Boolean);
  let real: string = sep;
  for (let links = 0; rest.length > 0; ) {
    const name = rest.shift()!;
    if (name === ".") continue;
    if (name === "..") {
      real = dirname(real);
      continue;
    }
    const full = join(real, name);
    let target: string | null = null;
    try {
      const info = await lstat(full);
      if (info.isSymbolicLink()) target = await readlink(full);
    } catch {
      points.push({ dir: real, name });
      break;
    }
    if (target === null) {
      if (rest.length === 0) points.push({ dir: real, name });
      real = full;
      continue;
    }
    points.push({ dir: real, name });
    // A loop of links: what resolves so far is all there is to watch.
    if (++links > 40) break;
    if (isAbsolute(target)) real = sep;
    rest = [...target.split(sep).filter(Boolean), ...rest];
  }
  return points;
}

/** What a `-f` path is now: replaced, re-pointed or rewritten paths change it. */
async function fingerprint(path: string): Promise<string> {
  try {
    const [real, info] = await Promise.all([realpath(path), stat(path)]);
    return info.isDirectory() ? `${real}|${info.ino}` : `${real}|${info.ino}|${info.mtimeMs}|${info.size}`;
  } catch {
    return "missing";
  }
}

/**
 * Watches files and directories; calls `onChange` once per burst of changes.
 *
 * Every directory under a `-f DIR` is watched on its own, non-recursively, and the tree is walked
 * again after each burst, arming watchers for new directories and dropping those of removed or
 * replaced ones. Node 20's `fs.watch(dir, { recursive: true })` on Linux (a JS emulation over
 * inotify) loses a file once it is replaced by rename (`sed -i`, editors, `kubectl`-style saves):
 * later writes to it were never reported. A plain inotify watch on the directory sees the rename
 * and every later write.
 *
 * Each `-f` path, and each manifest symlink under a `-f DIR`, is also watched along its
 * resolution (see resolutionPoints): the directory holding the path, each symlink on the way and
 * the final file. So `mv dir dir.old && mv dir.new dir`, `ln -sfn` on a `-f FILE` link, and a
 * ConfigMap volume swapping its `..data` link all reload. As a fallback for what inotify cannot
 * report (a parent directory replaced, a filesystem without inotify), each `-f` path is stat'ed
 * every `pollMs` (one realpath and one stat per path, on an unref'd timer).
 */
export async function watchPaths(paths: readonly string[], onChange: () => void, options: WatchOptions | number = {}): Promise<() => void> {
  const { debounceMs = 200, pollMs = POLL_MS } = typeof options === "number" ? { debounceMs: options } : options;
  const dirs = new Map<string, DirWatch>();
  const named = new Map<string, NamedWatch>();
  const roots = paths.map((p) => resolvePath(p));
  const fingerprints = new Map<string, string>();
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let poller: NodeJS.Timeout | null = null;
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

  const watchDir = (dir: string, listener: (file: string | null) => void): FSWatcher | null => {
    try {
      const watcher = watch(dir, (_event, file) => listener(file === null ? null : file.toString()));
      // A removed directory's watcher errors or goes quiet; the next walk drops it.
      watcher.on("error", () => fire());
      return watcher;
    } catch {
      // A directory that cannot be watched still reloads on SIGHUP and by the fallback stat.
      return null;
    }
  };

  const walk = async (dir: string, seen: Map<string, number>, points: Point[]) => {
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
    for (const e of entries) {
      const full = join(dir, e.name);
      // Only real subdirectories, as the loader reads them (it does not follow directory symlinks
      // and skips a ConfigMap volume's `..` entries, which the top-level links name).
      if (e.isDirectory() && !e.name.startsWith("..")) await walk(full, seen, points);
      else if (e.isSymbolicLink() && MANIFEST_FILE.test(e.name)) points.push(...(await resolutionPoints(full)));
    }
  };

  const rescan = async () => {
    if (closed) return;
    const seen = new Map<string, number>();
    const points: Point[] = [];
    for (const root of roots) {
      points.push(...(await resolutionPoints(root)));
      await walk(root, seen, points);
      fingerprints.set(root, await fingerprint(root));
    }
    const wanted = new Map<string, Set<string>>();
    for (const p of points) {
      let names = wanted.get(p.dir);
      if (!names) wanted.set(p.dir, (names = new Set()));
      names.add(p.name);
    }
    const inodes = new Map<string, number>();
    for (const dir of wanted.keys()) {
      try {
        inodes.set(dir, (await stat(dir)).ino);
      } catch {
        // Gone: nothing to watch there; the fallback stat sees it come back.
      }
    }
    if (closed) return;
    for (const [dir, w] of dirs) {
      if (seen.get(dir) === w.ino) continue;
      w.watcher.close();
      dirs.delete(dir);
    }
    for (const [dir, ino] of seen) {
      if (dirs.has(dir)) continue;
      const watcher = watchDir(dir, (file) => {
        if (file === null || relevant(join(dir, file))) fire();
      });
      if (watcher) dirs.set(dir, { watcher, ino });
    }
    for (const [dir, w] of named) {
      const names = wanted.get(dir);
      if (names && inodes.get(dir) === w.ino) {
        w.names = names;
        continue;
      }
      w.watcher.close();
      named.delete(dir);
    }
    for (const [dir, names] of wanted) {
      const ino = inodes.get(dir);
      if (named.has(dir) || ino === undefined) continue;
      const entry: NamedWatch = { watcher: null as unknown as FSWatcher, ino, names };
      const watcher = watchDir(dir, (file) => {
        if (file === null || entry.names.has(file)) fire();
      });
      if (!watcher) continue;
      entry.watcher = watcher;
      named.set(dir, entry);
    }
  };

  let polling = false;
  const poll = async () => {
    if (polling || closed) return;
    polling = true;
    try {
      for (const root of roots) {
        const now = await fingerprint(root);
        if (fingerprints.get(root) !== now) {
          fingerprints.set(root, now);
          fire();
        }
      }
    } finally {
      polling = false;
    }
  };

  await rescan();
  if (pollMs > 0 && roots.length > 0) {
    poller = setInterval(() => void poll(), pollMs);
    poller.unref();
  }

  return () => {
    closed = true;
    if (timer) clearTimeout(timer);
    if (poller) clearInterval(poller);
    for (const w of dirs.values()) w.watcher.close();
    for (const w of named.values()) w.watcher.close();
    dirs.clear();
    named.clear();
  };
}
