// The worker's inbound alert endpoint against hostile senders, with a real
// Temporal client behind it: forged, tampered, stale and malformed
// signatures are refused with 401 and a reason, a delivered signed request
// cannot be replayed, oversized and broken bodies are refused, and the
// endpoint keeps serving after all of it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import fc from 'fast-check';
import { SIGNATURE_HEADER, signatureFor, signBody } from '../../activities/webhooks/signature.ts';
import { createAlertReceiver } from '../../workers/alert-receiver.ts';
import { testConfig } from '../support/env.ts';
import { budget } from '../unit/fuzz/budget.ts';
import { hostileString } from '../unit/fuzz/hostile.ts';

const SECRET = 'inbound-test-hmac-secret';

describe('inbound alerts from hostile senders', () => {
  const config = testConfig();
  let connection: Connection;
  let receiver: Awaited<ReturnType<typeof createAlertReceiver>>;

  before(async () => {
    connection = await Connection.connect({ address: config.temporal.address });
    receiver = await createAlertReceiver({
      client: new Client({ connection, namespace: config.temporal.namespace }),
      port: 0,
      hmacSecret: SECRET,
    });
  });

  after(async () => {
    await receiver.close();
    await connection.close();
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${receiver.url}/alerts/webhook`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', ...headers },
    });

  const alert = (n: number) => JSON.stringify({ labels: { alertname: 'InboundTest', n: String(n) } });

  it('a signed alert is delivered once; the same request replayed is refused', async () => {
    const body = alert(1);
    const headers = { [SIGNATURE_HEADER]: signBody(SECRET, body) };
    assert.equal((await post(body, headers)).status, 200);
    const replay = await post(body, headers);
    assert.equal(replay.status, 401);
    assert.match(((await replay.json()) as { error: string }).error, /already delivered/);
    // The same alert signed afresh is a new request.
    const again = await post(body, {
      [SIGNATURE_HEADER]: signatureFor(SECRET, body, Math.floor(Date.now() / 1000) + 1),
    });
    assert.equal(again.status, 200);
  });

  it('forged, tampered, stale and malformed signatures: 401 with a reason, every one', async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = fc.oneof(
      hostileString,
      fc.string().map((s) => signatureFor(`${SECRET}-wrong`, s, now)),
      fc.integer({ min: 301, max: 100_000 }).map((age) => signatureFor(SECRET, alert(2), now - age)),
      fc.constant(signatureFor(SECRET, `${alert(2)} `, now)),
    );
    await fc.assert(
      fc.asyncProperty(header, async (h) => {
        // HTTP carries printable ASCII in header values: what a client can actually send.
        const value = h.replace(/[^\x20-\x7e]/g, '').trim();
        const response = await post(alert(2), value ? { [SIGNATURE_HEADER]: value } : {});
        assert.equal(response.status, 401, h);
        assert.ok(((await response.json()) as { error: string }).error.length > 0);
      }),
      budget(60),
    );
  });

  it('an oversized or broken body is refused, and the endpoint keeps serving', async () => {
    const big = `{"labels":{"x":"${'a'.repeat(2 * 1024 * 1024)}"}}`;
    const oversized = await post(big, { [SIGNATURE_HEADER]: signBody(SECRET, big) }).catch((e: Error) => e);
    // The server answers 413 and drops the connection; a client may see either.
    if (!(oversized instanceof Error)) assert.equal(oversized.status, 413);
    const broken = '{"labels": [';
    assert.equal((await post(broken, { [SIGNATURE_HEADER]: signBody(SECRET, broken) })).status, 400);
    assert.equal((await fetch(`${receiver.url}/healthz`)).status, 200);
  });
});
