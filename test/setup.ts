import fc from "fast-check";

// CI sets FC_SEED and prints it, so a failing property run can be reproduced exactly.
const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
fc.configureGlobal({ ...(seed !== undefined ? { seed } : {}), numRuns: Number(process.env.FC_NUM_RUNS ?? 100) });
