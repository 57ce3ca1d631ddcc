// How many cases each fuzz property runs. CI (`npm test`) runs a bounded
// number; `npm run fuzz` sets CTPILOT_FUZZ_RUNS for a longer run. A failure
// prints fast-check's seed and path: rerun it with CTPILOT_FUZZ_SEED and
// CTPILOT_FUZZ_PATH to reproduce exactly.
import type fc from 'fast-check';

const runs = Number(process.env.CTPILOT_FUZZ_RUNS ?? '') || undefined;
const seed = process.env.CTPILOT_FUZZ_SEED ? Number(process.env.CTPILOT_FUZZ_SEED) : undefined;
const path = process.env.CTPILOT_FUZZ_PATH;

/** fast-check parameters: `ciRuns` cases in CI, the budget's multiple of it in a long run. */
export function budget(ciRuns: number): fc.Parameters<unknown> {
  return {
    numRuns: runs ? Math.max(ciRuns, Math.round((runs * ciRuns) / 100)) : ciRuns,
    ...(seed !== undefined ? { seed } : {}),
    ...(path ? { path } : {}),
  };
}

/** True in the long run (`npm run fuzz`): tests may then also try their largest inputs. */
export const longRun = runs !== undefined;
