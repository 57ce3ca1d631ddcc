// Webhook signatures, fuzzed: ctpilot's verifier accepts exactly the
// requests signed with the secret, over this body, within the tolerance
// window — any other header, body, secret or time is refused with a reason,
// never a throw. The deploy-hook receiver of the example (Python) agrees with
// it on every signature ctpilot sends, tampered or not; and a signed alert is
// accepted once, not replayed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { signatureFor, verifySignature } from '../../../activities/webhooks/signature.ts';
import { ReplayGuard } from '../../../workers/alert-receiver.ts';
import { root } from '../policies/helpers.ts';
import { budget } from './budget.ts';
import { hostileString } from './hostile.ts';

const NOW = 1_800_000_000;
const at = (seconds: number) => ({ now: new Date(seconds * 1000) });

describe('fuzz: webhook signatures', () => {
  it('any header, body and secret: a verdict with a reason, never a throw; ok only for the right signature', () => {
    fc.assert(
      fc.property(
        hostileString,
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        (header, body, secret) => {
          const check = verifySignature(secret, body, header, at(NOW));
          if (check.ok) assert.equal(header.trim(), signatureFor(secret, body, check.timestamp));
          else assert.ok(check.message.length > 0);
        },
      ),
      budget(2000),
    );
  });

  it('a signed request verifies; changing its body, secret or time by anything refuses it', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1 }),
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary', minLength: 1 }),
        fc.string({ unit: 'binary' }),
        fc.integer({ min: -300, max: 300 }),
        fc.integer({ min: 301, max: 10_000_000 }),
        (secret, body, otherSecret, otherBody, skew, drift) => {
          const header = signatureFor(secret, body, NOW + skew);
          assert.equal(verifySignature(secret, body, header, at(NOW)).ok, true, 'within the window');
          if (otherBody !== body) assert.equal(verifySignature(secret, otherBody, header, at(NOW)).ok, false);
          if (otherSecret !== secret)
            assert.equal(verifySignature(otherSecret, body, header, at(NOW)).ok, false);
          const stale = verifySignature(secret, body, header, at(NOW + skew + drift));
          assert.equal(stale.ok, false);
          assert.equal(!stale.ok && stale.reason, 'stale');
        },
      ),
      budget(500),
    );
  });

  it("the example's deploy-hook receiver (Python) agrees on every signature ctpilot sends, tampered or not", () => {
    const cases = fc.sample(
      fc.record({
        secret: fc.string({ minLength: 1, maxLength: 20 }),
        body: fc.string({ maxLength: 200 }),
        skew: fc.integer({ min: -1000, max: 1000 }),
        tamper: fc.constantFrom('none', 'body', 'secret', 'mac', 'timestamp'),
      }),
      budget(200).numRuns,
    );
    const lines = cases.map((c) => {
      const header = signatureFor(c.secret, c.body, NOW + c.skew);
      const sent = {
        secret: c.tamper === 'secret' ? `${c.secret}x` : c.secret,
        body: c.tamper === 'body' ? `${c.body} ` : c.body,
        header:
          c.tamper === 'mac'
            ? header.replace(/v1=./, (m) => `v1=${m.endsWith('0') ? '1' : '0'}`)
            : c.tamper === 'timestamp'
              ? header.replace(/t=\d+/, `t=${NOW + c.skew + 1}`)
              : header,
      };
      const ours = verifySignature(sent.secret, sent.body, sent.header, at(NOW)).ok;
      return { ...sent, ours };
    });
    const script = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("signature", sys.argv[1])
sig = importlib.util.module_from_spec(spec); spec.loader.exec_module(sig)
for line in sys.stdin:
    c = json.loads(line)
    try:
        sig.verify(c["secret"], c["header"], c["body"].encode("utf-8"), now=${NOW})
        ok = True
    except sig.SignatureError:
        ok = False
    print(json.dumps(ok))
`;
    const python = spawnSync(
      'python3',
      ['-c', script, `${root}examples/support-tickets/support_tickets/simulator/signature.py`],
      { input: lines.map((l) => JSON.stringify(l)).join('\n'), encoding: 'utf8' },
    );
    assert.equal(python.status, 0, python.stderr);
    const theirs = python.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as boolean);
    assert.equal(theirs.length, lines.length);
    lines.forEach((l, i) => {
      assert.equal(theirs[i], l.ours, `disagree on ${JSON.stringify(l)}`);
    });
    assert.ok(lines.some((l) => l.ours) && lines.some((l) => !l.ours), 'both verdicts were exercised');
  });
});

describe('replayed signed alerts', () => {
  it('a delivered signature is refused until it leaves the tolerance window, then forgotten', () => {
    const guard = new ReplayGuard(300);
    assert.equal(guard.has('mac-a', NOW), false);
    guard.remember('mac-a', NOW, NOW);
    assert.equal(guard.has('mac-a', NOW + 299), true, 'a replay within the window');
    assert.equal(guard.has('mac-a', NOW + 301), false, 'past the window the signature is stale anyway');
  });

  it('stays bounded: the oldest signatures go first when full', () => {
    const guard = new ReplayGuard(300, 3);
    for (const mac of ['a', 'b', 'c', 'd']) guard.remember(mac, NOW, NOW);
    assert.equal(guard.has('a', NOW), false);
    assert.equal(guard.has('d', NOW), true);
  });
});
