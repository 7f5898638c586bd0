/**
 * Weight precision profiles: the integer shares a data plane applies for a rule's backendRef
 * weights. Gateway API allows "some epsilon from the exact proportion ... depending on the
 * precision an implementation supports" (BackendRef.Weight, apis/v1/shared_types.go).
 * This is the one model both `lint` (weight-rounds-to-zero) and `replay --precision` use.
 *
 * - `exact`: weight / total (Envoy weighted clusters, and gwsim's own decide).
 * - `ngf`: NGINX Gateway Fabric, in units of 0.01%.
 * - `percent`: whole percents by largest remainder, as Istio up to 1.14 converted HTTPRoute
 *   weights for its VirtualServices (1.15 passes the weights through: exact).
 */
export type WeightPrecision = "exact" | "ngf" | "percent";

export interface EffectiveWeights {
  /** Integer weights as the data plane applies them, in the order written. */
  weights: number[];
  /** Their sum: the written total (`exact`), 10,000 (`ngf`) or 100 (`percent`). */
  total: number;
  /** True when they give the same shares as the written weights. */
  sameAsWritten: boolean;
}

const UNIT: Record<Exclude<WeightPrecision, "exact">, number> = { ngf: 10_000, percent: 100 };

export function effectiveWeights(written: readonly number[], precision: WeightPrecision): EffectiveWeights {
  const total = sum(written);
  if (precision === "exact" || written.length < 2 || total === 0) {
    return { weights: [...written], total, sameAsWritten: true };
  }
  const unit = UNIT[precision];
  const weights = precision === "ngf" ? ngfBasisPoints(written, total) : largestRemainderPercents(written, total);
  // Same shares iff w_i / total == e_i / unit for every i (cross-multiplied, exact for integers).
  const sameAsWritten = written.every((w, i) => w * unit === weights[i]! * total);
  return { weights, total: unit, sameAsWritten };
}

/**
 * NGINX Gateway Fabric, internal/controller/nginx/config/split_clients.go:
 * createBackendGroupSplitClientDistributions gives every backend but the last percentOf(weight,
 * total) = floor(weight × 100 / total × 100) / 100 (float64, the operations in this order), the
 * last one 100 minus their sum; the template comments out a "0.00" entry, so it gets nothing.
 * Weight-0 backends stay in the list, so a weight-0 last backend takes the rounding dust.
 */
function ngfBasisPoints(written: readonly number[], total: number): number[] {
  const out: number[] = [];
  let used = 0;
  for (let i = 0; i < written.length - 1; i++) {
    const q = Math.floor(((written[i]! * 100) / total) * 100);
    out.push(q);
    used += q;
  }
  out.push(10_000 - used);
  return out;
}

/**
 * Istio 1.12 to 1.14 (HTTPRoute backendRefs), pilot/pkg/config/kube/gateway/conversion.go:
 * buildHTTPDestination and buildTCPDestination drop weight-0 backendRefs, then standardizeWeights gives each int(w / total × 100) percent (float64)
 * and hands the points still missing to 100, one each, in the order of argsort(remainders):
 * Go's sort.Sort on the reversed remainders. Before Go 1.19 (Istio 1.14 and older), sort.Sort of
 * at most 12 elements is one exchange pass at gap 6 and then an insertion sort; that is what
 * decides ties here. Of 13 to 16 weighted backendRefs, ties go to the earlier one (Go's quicksort
 * order is not modelled).
 */
function largestRemainderPercents(written: readonly number[], total: number): number[] {
  const out = written.map(() => 0);
  const at: number[] = [];
  const remainders: number[] = [];
  written.forEach((w, i) => {
    if (w <= 0) return;
    const share = (w / total) * 100;
    const whole = Math.trunc(share);
    out[i] = whole;
    at.push(i);
    remainders.push(share - whole);
  });
  let missing = 100 - sum(out);
  for (const k of goDescendingOrder(remainders)) {
    if (missing <= 0) break;
    out[at[k]!]!++;
    missing--;
  }
  return out;
}

/** Indices of `values` from largest to smallest, ties broken as Go's pre-1.19 sort.Sort did (see above). */
function goDescendingOrder(values: readonly number[]): number[] {
  const order = values.map((_, i) => i);
  const n = order.length;
  if (n > 12) return order.sort((a, b) => values[b]! - values[a]! || a - b);
  const before = (i: number, j: number) => values[order[i]!]! > values[order[j]!]!;
  const swap = (i: number, j: number) => {
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  };
  for (let i = 6; i < n; i++) if (before(i, i - 6)) swap(i, i - 6);
  for (let i = 1; i < n; i++) for (let j = i; j > 0 && before(j, j - 1); j--) swap(j, j - 1);
  return order;
}

/**
 * The smallest weight for backendRef `index` (the other weights unchanged) from which on every
 * weight gets a share above 0 under the profile: what a fix can ask for with "at least".
 * Under `percent` survival is not monotone below one whole percent (raising one weight moves the
 * others' remainders), so this is the bottom of the run of surviving weights that reaches the
 * weights whose own share is a whole percent, not always the smallest weight that survives.
 */
export function minimumSurvivingWeight(written: readonly number[], index: number, precision: WeightPrecision): number {
  const rest = sum(written) - (written[index] ?? 0);
  if (precision === "exact" || rest === 0 || written.length < 2) return 1;
  const survives = (w: number): boolean => {
    const ws = [...written];
    ws[index] = w;
    return effectiveWeights(ws, precision).weights[index]! > 0;
  };
  // Monotone in w: under ngf survival itself (the others' floors only shrink as w grows), under
  // percent a share of at least one whole percent before the remainders are handed out.
  const sure = precision === "ngf" ? survives : (w: number) => Math.trunc((w / (w + rest)) * 100) >= 1;
  let hi = 1;
  while (!sure(hi)) hi *= 2;
  let lo = Math.floor(hi / 2); // !sure(lo) or lo = 0
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (sure(mid)) hi = mid;
    else lo = mid;
  }
  let w = hi;
  while (w > 1 && survives(w - 1)) w--;
  return w;
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
