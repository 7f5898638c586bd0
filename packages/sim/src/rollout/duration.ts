/**
 * Durations as Go's time.ParseDuration reads them ("300ms", "1.5h", "2h45m"): Argo Rollouts'
 * pause durations and Flagger's intervals both go through it.
 */
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or null when the text is not a Go duration. */
export function parseGoDuration(text: string): number | null {
  let s = text.trim();
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") return null;
  let total = 0;
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length) {
    const m = part.exec(s);
    if (!m) return null;
    total += Number(m[1]) * UNITS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/**
 * An Argo Rollouts pause duration (intstr): a number or digit string is seconds, otherwise a
 * Go duration, truncated to whole seconds as the controller's DurationSeconds does.
 */
export function argoPauseMs(value: unknown): number | null {
  if (typeof value === "number" && Number.isInteger(value)) return value * 1000;
  if (typeof value !== "string") return null;
  if (/^[+-]?\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const ms = parseGoDuration(value);
  return ms === null ? null : Math.trunc(ms / 1000) * 1000;
}

/** `1h30m`, `10m`, `45s`, `1.5s` — a readable form of milliseconds. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms - h * 3_600_000) / 60_000);
  const rest = (ms - h * 3_600_000 - m * 60_000) / 1000;
  const sec = rest ? `${Number.isInteger(rest) ? rest : rest.toFixed(3).replace(/0+$/, "")}s` : "";
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${sec}`;
}
