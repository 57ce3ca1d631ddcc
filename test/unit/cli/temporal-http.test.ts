// The HTTP reader's pure parts (payload shorthand, an execution as the API
// renders it) and the JSON request under it, against a Node HTTP server in
// this process: error statuses keep the server's body, a slow answer is a
// timeout, a closed port is the socket's error.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HttpStatusError, HttpTimeoutError, requestJson } from '../../../cli/lib/http-json.ts';
import { payloadValue, summaryOf } from '../../../cli/lib/temporal-http.ts';
import { freePorts } from '../../../infra/stack/ports.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const keyword = (value: unknown) => ({
  metadata: { encoding: b64('json/plain'), type: b64('Keyword') },
  data: b64(JSON.stringify(value)),
});

describe('Temporal HTTP API payloads and executions', () => {
  it('decodes json/plain payloads (an empty list stays one), binary/null as null, and leaves other values alone', () => {
    assert.deepEqual(payloadValue(keyword({ actions: [] })), { actions: [] });
    assert.equal(payloadValue({ metadata: { encoding: b64('binary/null') } }), null);
    assert.equal(payloadValue(keyword('fraud-detector')), 'fraud-detector');
    assert.deepEqual(payloadValue(keyword(['a', 'b'])), ['a', 'b']);
    assert.deepEqual(payloadValue({ champion: 'champion' }), { champion: 'champion' });
    assert.equal(payloadValue('5m'), '5m');
    assert.equal(payloadValue(null), null);
    // Another encoding is not guessed at.
    const binary = { metadata: { encoding: b64('binary/plain') }, data: b64('xyz') };
    assert.deepEqual(payloadValue(binary), binary);
  });

  it('an execution as the list and describe calls render it (the shape a dev server answered with)', () => {
    const s = summaryOf({
      execution: { workflowId: 'policy:fraud-detector', runId: '01a23f34' },
      status: 'WORKFLOW_EXECUTION_STATUS_RUNNING',
      taskQueue: 'ctpilot',
      memo: {
        fields: {
          every: keyword('5m'),
          labels: keyword({ tier: 'critical' }),
          aliases: keyword({ champion: 'champion' }),
        },
      },
      searchAttributes: {
        indexedFields: { CtPolicy: keyword('fraud-detector'), CtPhase: keyword('waiting') },
      },
    });
    assert.deepEqual(s, {
      workflowId: 'policy:fraud-detector',
      runId: '01a23f34',
      taskQueue: 'ctpilot',
      status: 'RUNNING',
      closeTime: null,
      searchAttributes: { CtPolicy: 'fraud-detector', CtPhase: 'waiting' },
      memo: { every: '5m', labels: { tier: 'critical' }, aliases: { champion: 'champion' } },
    });
    // describe puts the queue in the execution config.
    const closed = summaryOf(
      { status: 'WORKFLOW_EXECUTION_STATUS_TERMINATED', closeTime: '2026-12-04T03:59:15Z' },
      'other',
    );
    assert.equal(closed.status, 'TERMINATED');
    assert.equal(closed.taskQueue, 'other');
    assert.equal(closed.closeTime, '2026-12-04T03:59:15Z');
  });
});

describe('requestJson', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ method?: string; url?: string; body: string; auth?: string }> = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, body, auth: req.headers.authorization });
        if (req.url === '/missing') {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: 5, message: 'workflow not found for ID: policy:x' }));
        } else if (req.url === '/text') {
          res.writeHead(502);
          res.end('bad gateway');
        } else if (req.url === '/slow') {
          setTimeout(() => res.end('{}'), 2000).unref();
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ echo: body ? JSON.parse(body) : null }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('GETs and POSTs JSON with the given headers', async () => {
    assert.deepEqual(await requestJson({ url: `${base}/a`, timeoutMs: 1000 }), { echo: null });
    const posted = await requestJson({
      url: `${base}/b`,
      method: 'POST',
      body: { x: 1 },
      headers: { authorization: 'Bearer k' },
      timeoutMs: 1000,
    });
    assert.deepEqual(posted, { echo: { x: 1 } });
    assert.deepEqual(seen.at(-1), { method: 'POST', url: '/b', body: '{"x":1}', auth: 'Bearer k' });
  });

  it('an error status keeps the server’s answer, JSON or text', async () => {
    const missing = await requestJson({ url: `${base}/missing`, timeoutMs: 1000 }).catch((e) => e);
    assert.ok(missing instanceof HttpStatusError);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { code: 5, message: 'workflow not found for ID: policy:x' });
    assert.match(missing.message, /HTTP 404 from .*\/missing: workflow not found for ID: policy:x/);
    const text = await requestJson({ url: `${base}/text`, timeoutMs: 1000 }).catch((e) => e);
    assert.ok(text instanceof HttpStatusError);
    assert.equal(text.body, 'bad gateway');
  });

  it('an answer later than the deadline is a timeout; a closed port is the socket’s error', async () => {
    const slow = await requestJson({ url: `${base}/slow`, timeoutMs: 100 }).catch((e) => e);
    assert.ok(slow instanceof HttpTimeoutError);
    assert.equal(slow.timeoutMs, 100);
    const [closed] = await freePorts(1);
    const refused = await requestJson({ url: `http://127.0.0.1:${closed}/`, timeoutMs: 1000 }).catch(
      (e) => e,
    );
    assert.equal((refused as NodeJS.ErrnoException).code, 'ECONNREFUSED');
  });
});
