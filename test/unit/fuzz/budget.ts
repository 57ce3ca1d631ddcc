// How many cases each fuzz property runs. CI (`npm test`) runs a bounded
// number; `npm run fuzz` multiplies every budget by CTPILOT_FUZZ_SCALE (20
// unless set). A failure prints fast-check's seed and path: rerun its file
// with CTPILOT_FUZZ_SEED (and CTPILOT_FUZZ_PATH, which only fits the property
// that failed) to reproduce it exactly.
import type fc from 'fast-check';

const scale = Math.max(1, Number(process.env.CTPILOT_FUZZ_SCALE ?? '') || 1);
const seed = process.env.CTPILOT_FUZZ_SEED ? Number(process.env.CTPILOT_FUZZ_SEED) : undefined;
const path = process.env.CTPILOT_FUZZ_PATH;

/** fast-check parameters: `ciRuns` cases in CI, `ciRuns × CTPILOT_FUZZ_SCALE` in a long run. */
export function budget(ciRuns: number): fc.Parameters<unknown> {
  return {
    numRuns: ciRuns * scale,
    ...(seed !== undefined ? { seed } : {}),
    ...(path ? { path } : {}),
  };
}

/** True in a long run (`npm run fuzz`): tests may then also try their largest inputs. */
export const longRun = scale > 1;
