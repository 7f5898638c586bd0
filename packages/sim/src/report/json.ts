import type { Report } from "../replay/types.js";
import type { WhatifReport } from "../replay/whatif.js";

/**
 * CONTRACT's `replay --json` (and `whatif --json`): one JSON object, two-space indented, ending in
 * a newline. An infinite chi-square statistic (traffic to a zero-weight backend) prints as null.
 */
export function renderJson(report: Report | WhatifReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
