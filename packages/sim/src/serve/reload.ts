/**
 * Reload triggers: manifest files changing on disk (debounced, so an editor's save or a
 * `kubectl`-style atomic rename counts once) and SIGHUP.
 */
import { watch, type FSWatcher } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, dirname, resolve as resolvePath } from "node:path";

/**
 * Watches files and directories; calls `onChange` once per burst of changes. A file is watched
 * through its directory, so replacing it (write to a temp file, rename over) is seen too.
 */
export async function watchPaths(paths: readonly string[], onChange: () => void, debounceMs = 200): Promise<() => void> {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | null = null;
  const fire = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, debounceMs);
  };
  for (const p of paths) {
    const abs = resolvePath(p);
    let isDir = false;
    try {
      isDir = (await stat(abs)).isDirectory();
    } catch {
      continue;
    }
    try {
      if (isDir) watchers.push(watch(abs, { recursive: true }, () => fire()));
      else {
        const name = basename(abs);
        watchers.push(watch(dirname(abs), (_event, file) => {
          if (file === null || file.toString() === name) fire();
        }));
      }
    } catch {
      // A path that cannot be watched still reloads on SIGHUP.
    }
  }
  for (const w of watchers) w.on("error", () => undefined);
  return () => {
    if (timer) clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
