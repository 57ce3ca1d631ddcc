import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AcceptanceGate, checkAcceptance } from '../../../policies/acceptance.ts';

const gate = (g: Partial<AcceptanceGate> & { metric: string }): AcceptanceGate => ({
  tolerance: 0,
  higherIsBetter: true,
  ...g,
});

describe('offline acceptance gates', () => {
  it('passes absolute bounds and says so', () => {
    const v = checkAcceptance(
      [gate({ metric: 'val_precision', min: 0.92 }), gate({ metric: 'latency_ms', max: 50 })],
      {
        val_precision: 0.934,
        latency_ms: 12,
      },
      undefined,
    );
    assert.equal(v.accepted, true);
    assert.equal(v.gates[0]?.explanation, 'val_precision 0.934 ≥ 0.92');
    assert.equal(v.summary, 'all 2 acceptance gate(s) passed');
  });

  it('compares with the champion within the tolerance, in the right direction', () => {
    const gates = [
      gate({ metric: 'val_recall', notWorseThan: 'champion', tolerance: 0.01 }),
      gate({ metric: 'logloss', notWorseThan: 'champion', tolerance: 0.02, higherIsBetter: false }),
    ];
    const champion = { val_recall: 0.8, logloss: 0.3 };
    assert.equal(checkAcceptance(gates, { val_recall: 0.791, logloss: 0.31 }, champion).accepted, true);
    const worse = checkAcceptance(gates, { val_recall: 0.78, logloss: 0.35 }, champion);
    assert.equal(worse.accepted, false);
    assert.equal(
      worse.summary,
      'rejected: val_recall 0.78 < champion 0.8 − 0.01; logloss 0.35 > champion 0.3 + 0.02',
    );
  });

  it('a missing, NaN or MLflow-infinite metric never passes', () => {
    const gates = [
      gate({ metric: 'a', min: 0 }),
      gate({ metric: 'b', min: 0 }),
      gate({ metric: 'c', max: 1 }),
    ];
    const v = checkAcceptance(gates, { b: Number.NaN, c: Number.MAX_VALUE }, undefined);
    assert.deepEqual(
      v.gates.map((g) => g.passed),
      [false, false, false],
    );
    assert.equal(v.gates[0]?.explanation, 'a was not logged on the training run');
  });

  it('without a champion, relative gates are skipped and say why', () => {
    const v = checkAcceptance(
      [gate({ metric: 'val_recall', notWorseThan: 'champion' })],
      { val_recall: 0.5 },
      undefined,
    );
    assert.equal(v.accepted, true);
    assert.equal(v.gates[0]?.explanation, 'no champion yet to compare val_recall with');
  });

  it('no gates: accepted', () => {
    assert.deepEqual(checkAcceptance([], {}, undefined), {
      accepted: true,
      gates: [],
      summary: 'no acceptance gates',
    });
  });
});
