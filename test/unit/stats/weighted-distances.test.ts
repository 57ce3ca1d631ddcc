// Wasserstein and energy distance with a weight per value (SciPy's u_weights
// and v_weights), against SciPy 1.17.1 (test/fixtures/stats/weighted.json,
// generate_parity.py's `weighted` section), and the weights' input checks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { StatsInputError } from '../../../stats/errors.ts';
import { energyDistance, wasserstein } from '../../../stats/wasserstein.ts';
import { type SampleSpec, sample } from './parity-data.ts';

interface Case {
  name: string;
  x?: number[];
  y?: number[];
  wx?: number[];
  wy?: number[];
  a?: SampleSpec;
  b?: SampleSpec;
  wa?: SampleSpec;
  wb?: SampleSpec;
  wasserstein: number;
  energy: number;
}

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/stats/weighted.json', import.meta.url), 'utf8'),
) as {
  scipy: string;
  cases: Case[];
};
const close = (actual: number, expected: number, what: string) =>
  assert.ok(
    Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );

describe(`weighted Wasserstein and energy distance match SciPy ${fixture.scipy}`, () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const x = c.x ?? sample(c.a!);
      const y = c.y ?? sample(c.b!);
      const weights = { reference: c.wx ?? sample(c.wa!), current: c.wy ?? sample(c.wb!) };
      close(wasserstein(x, y, weights), c.wasserstein, 'wasserstein');
      close(energyDistance(x, y, weights), c.energy, 'energy');
    });
  }

  it('equal weights give the unweighted distance; weights on one side only weigh that side', () => {
    const x = sample({ seed: 11, n: 200 });
    const y = sample({ seed: 12, n: 150, loc: 0.5 });
    close(
      wasserstein(x, y, { reference: new Float64Array(200).fill(2) }),
      wasserstein(x, y),
      'equal weights',
    );
    close(
      energyDistance(x, y, { current: new Float64Array(150).fill(0.3) }),
      energyDistance(x, y),
      'equal weights',
    );
  });

  it('weights that are not weights are refused, naming the side', () => {
    const invalid = (fn: () => unknown, message: RegExp) =>
      assert.throws(
        fn,
        (e: unknown) =>
          e instanceof StatsInputError && e.reason === 'invalid-input' && message.test(e.message),
      );
    invalid(
      () => wasserstein([0, 1], [0, 1], { reference: [1] }),
      /reference weights number 1, the values 2/,
    );
    invalid(() => wasserstein([0, 1], [0, 1], { current: [1, -1] }), /current weight 1 is -1/);
    invalid(() => energyDistance([0, 1], [0, 1], { reference: [0, 0] }), /every reference weight is 0/);
  });
});
