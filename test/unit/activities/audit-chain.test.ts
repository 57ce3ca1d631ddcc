import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Anchor, anchorsInResult, checkAnchors } from '../../../activities/audit/anchors.ts';
import {
  type AuditEntry,
  type AuditRow,
  canonicalJson,
  chainHash,
  contentOf,
  GENESIS_HASH,
  verifyChain,
} from '../../../activities/audit/chain.ts';
import { rowMessage, signerFromPem, verifierOf } from '../../../activities/audit/signing.ts';

function entry(i: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    model: 'fraud',
    policy: 'fraud-policy',
    policyVersion: 'abc123',
    workflowId: 'policy:fraud',
    step: `evaluate:${i}`,
    kind: 'evaluation',
    outcome: i % 3 === 0 ? 'retrain' : 'ok',
    recordedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
    inputs: { precision: { value: 0.9 - i / 100, threshold: 0.92, query: 'sum(rate(tp[1h]))' } },
    ...extra,
  };
}

/** Builds a valid chain the way the store does. */
function chain(entries: AuditEntry[]): AuditRow[] {
  let prevHash = GENESIS_HASH;
  return entries.map((e, i) => {
    const content = contentOf(e, i + 1);
    const hash = chainHash(prevHash, content);
    const row: AuditRow = { ...e, seq: 100 + i, modelSeq: i + 1, content, prevHash, hash };
    prevHash = hash;
    return row;
  });
}

describe('canonical JSON', () => {
  it('sorts keys at every level and drops undefined', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: undefined } }),
      '{"a":{"d":[1,{"e":3,"f":2}]},"b":1}',
    );
  });
  it('keeps non-finite numbers as strings instead of turning them into null', () => {
    assert.equal(
      canonicalJson([Number.NaN, Number.POSITIVE_INFINITY, -Infinity]),
      '["NaN","Infinity","-Infinity"]',
    );
  });
  it('is the same text for the same value, whatever the key order (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const reversed = Object.fromEntries(Object.entries(value).reverse());
        assert.equal(canonicalJson(value), canonicalJson(reversed));
      }),
    );
  });
});

describe('verifying a model chain', () => {
  const rows = chain(Array.from({ length: 6 }, (_, i) => entry(i)));

  it('a chain written in order verifies, and reports its head', () => {
    const report = verifyChain('fraud', rows);
    assert.equal(report.ok, true);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.head, { modelSeq: 6, hash: rows[5]!.hash });
    assert.equal(verifyChain('fraud', []).ok, true);
  });

  it('finds an altered content', () => {
    const altered = rows.map((r) =>
      r.modelSeq === 1 ? { ...r, content: r.content.replace('0.9', '0.95') } : r,
    );
    const report = verifyChain('fraud', altered);
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.modelSeq]),
      [['altered', 1]],
    );
    assert.match(report.problems[0]!.message, /row seq 100 .*content does not match its hash/);
  });

  it('finds a column changed without its content', () => {
    const altered = rows.map((r) => (r.modelSeq === 2 ? { ...r, outcome: 'ok-but-forged' } : r));
    const report = verifyChain('fraud', altered);
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.modelSeq]),
      [['altered', 2]],
    );
    assert.match(report.problems[0]!.message, /column\(s\) outcome differ/);
  });

  it('finds a re-hashed forgery by the broken link after it', () => {
    const forgedContent = rows[2]!.content.replace('"ok"', '"retrain"');
    // A careful forger rewrites the content, its column and its hash…
    const forged = {
      ...rows[2]!,
      outcome: 'retrain',
      content: forgedContent,
      hash: chainHash(rows[2]!.prevHash, forgedContent),
    };
    const report = verifyChain('fraud', [rows[0]!, rows[1]!, forged, ...rows.slice(3)]);
    // …and the next row no longer links to it.
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.modelSeq]),
      [['reordered', 4]],
    );
  });

  it('finds a removed row and names the missing position', () => {
    const report = verifyChain('fraud', [...rows.slice(0, 2), ...rows.slice(3)]);
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.modelSeq]),
      [['removed', 4]],
    );
    assert.match(report.problems[0]!.message, /position\(s\) 3 of model fraud are missing/);
  });

  it('finds reordered rows', () => {
    const swapped = [rows[0]!, rows[2]!, rows[1]!, ...rows.slice(3)];
    const report = verifyChain('fraud', swapped);
    assert.ok(report.problems.some((p) => p.kind === 'reordered'));
    assert.equal(report.ok, false);
  });

  it('finds rows removed from the end only against a head kept elsewhere', () => {
    const truncated = rows.slice(0, 4);
    assert.equal(verifyChain('fraud', truncated).ok, true, 'the chain alone cannot tell');
    const report = verifyChain('fraud', truncated, { expectedHead: { modelSeq: 6, hash: rows[5]!.hash } });
    assert.deepEqual(
      report.problems.map((p) => p.kind),
      ['removed'],
    );
  });

  it('any single-character change to any row is detected (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: rows.length - 1 }),
        fc.constantFrom('content', 'hash', 'prevHash'),
        fc.nat(),
        (index, field, position) => {
          const target = rows[index]!;
          const text = target[field];
          const at = position % text.length;
          const replacement = text[at] === '0' ? '1' : '0';
          const mutated = rows.map((r, i) =>
            i === index ? { ...r, [field]: text.slice(0, at) + replacement + text.slice(at + 1) } : r,
          );
          assert.equal(verifyChain('fraud', mutated).ok, false);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('signed chains', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const signer = signerFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'test key');
  const verifier = verifierOf([{ pem: signer.publicKeyPem, from: 'test' }]);
  const sign = (r: AuditRow): AuditRow => ({
    ...r,
    signature: signer.sign(rowMessage(r.hash)),
    keyId: signer.keyId,
  });
  const rows = chain(Array.from({ length: 5 }, (_, i) => entry(i))).map(sign);

  it('verifies with the public key and says how many rows are signed, by which key', () => {
    const report = verifyChain('fraud', rows, { verifier });
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.deepEqual(report.signatures, {
      checked: 'verified',
      signed: 5,
      unsignedBefore: 0,
      keyIds: [signer.keyId],
    });
  });

  it('a chain recomputed without the key — hashes, links and all — no longer verifies', () => {
    // The insider inserts a forged approval and recomputes every later hash; they cannot sign.
    const forged = chain([
      ...rows.slice(0, 2).map((r) => entry(r.modelSeq - 1)),
      entry(9, { kind: 'approval.approved' }),
      ...[2, 3, 4].map((i) => entry(i)),
    ]);
    const withOldSignatures = forged.map((r, i) =>
      i < 2 ? rows[i]! : { ...r, signature: rows[Math.min(i, 4)]!.signature, keyId: signer.keyId },
    );
    const report = verifyChain('fraud', withOldSignatures, { verifier });
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.modelSeq]),
      [3, 4, 5, 6].map((n) => ['altered', n]),
    );
    assert.match(report.problems[0]!.message, /signature does not verify with key/);
    // Without the public key nothing can tell: the report says it did not check.
    assert.equal(verifyChain('fraud', withOldSignatures).signatures.checked, 'unchecked');
  });

  it('an unsigned row after signed ones is a forgery; stripped signatures are caught by signedFrom', () => {
    const appended = chain([...Array.from({ length: 5 }, (_, i) => entry(i)), entry(5)]);
    const mixed = [...rows, appended[5]!];
    assert.deepEqual(
      verifyChain('fraud', mixed, { verifier }).problems.map((p) => [p.kind, p.modelSeq]),
      [['unsigned', 6]],
    );
    const stripped = rows.map(({ signature: _s, keyId: _k, ...r }) => r);
    assert.equal(
      verifyChain('fraud', stripped, { verifier }).ok,
      true,
      'alone it looks written before signing',
    );
    assert.equal(verifyChain('fraud', stripped, { verifier, signedFrom: 1 }).problems.length, 5);
  });

  it('a signature by an unknown key is named as such', () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    const foreign = signerFromPem(other.export({ type: 'pkcs8', format: 'pem' }).toString(), 'other');
    const bad = rows.map((r, i) =>
      i === 2 ? { ...r, signature: foreign.sign(rowMessage(r.hash)), keyId: foreign.keyId } : r,
    );
    assert.match(
      verifyChain('fraud', bad, { verifier }).problems[0]!.message,
      /not one of the known public keys/,
    );
  });

  it('recorded_at changed in its column alone (backdating) is detected', () => {
    const backdated = rows.map((r) =>
      r.modelSeq === 3
        ? { ...r, recordedAt: new Date(Date.parse(r.recordedAt) - 30 * 86_400_000).toISOString() }
        : r,
    );
    const report = verifyChain('fraud', backdated, { verifier });
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.modelSeq]),
      [['altered', 3]],
    );
    assert.match(report.problems[0]!.message, /column\(s\) recordedAt differ/);
  });
});

describe('anchors outside the database', () => {
  const rows = chain(Array.from({ length: 6 }, (_, i) => entry(i)));
  const anchor = (modelSeq: number, hash: string): Anchor => ({
    modelSeq,
    hash,
    source: 'temporal',
    where: 'the history of policy:fraud',
  });

  it('finds appends in activity results', () => {
    const h = rows[0]!.hash;
    assert.deepEqual(anchorsInResult({ modelSeq: 3, hash: h, duplicate: false }), [{ modelSeq: 3, hash: h }]);
    assert.deepEqual(anchorsInResult({ decision: {}, audit: { modelSeq: 4, hash: h } }), [
      { modelSeq: 4, hash: h },
    ]);
    assert.deepEqual(anchorsInResult({ modelSeq: 3, hash: 'short' }), []);
  });

  it('a chain that agrees with its anchors has no problem', () => {
    assert.deepEqual(checkAnchors('fraud', rows, [anchor(6, rows[5]!.hash), anchor(2, rows[1]!.hash)]), []);
  });

  it('the newest rows deleted: the chain ends before the anchor', () => {
    const problems = checkAnchors('fraud', rows.slice(0, 4), [
      anchor(6, rows[5]!.hash),
      anchor(5, rows[4]!.hash),
    ]);
    assert.deepEqual(
      problems.map((p) => [p.kind, p.modelSeq]),
      [['removed', 6]],
    );
    assert.match(
      problems[0]!.message,
      /ends at position 4, but the history of policy:fraud recorded position 6/,
    );
  });

  it('a whole chain deleted, and a rewritten one', () => {
    assert.match(
      checkAnchors('fraud', [], [anchor(6, rows[5]!.hash)])[0]!.message,
      /the chain of model fraud is gone/,
    );
    const rewritten = chain([entry(0), entry(1), entry(7), entry(3), entry(4), entry(5)]);
    assert.deepEqual(
      checkAnchors('fraud', rewritten, [anchor(6, rows[5]!.hash), anchor(2, rows[1]!.hash)]).map((p) => [
        p.kind,
        p.modelSeq,
      ]),
      [['altered', 6]],
    );
  });
});
