import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createNotifyActivities, type Notification, type Receiver } from '../../activities/notify.ts';
import { verifySignature } from '../../activities/webhooks/signature.ts';
import { freePorts } from '../../infra/stack/ports.ts';
import { alertmanagerBinary, startAlertmanager } from '../support/alertmanager.ts';

interface Received {
  path: string;
  body: Record<string, unknown>;
  signature: ReturnType<typeof verifySignature>;
}

const notification: Notification = {
  event: 'retrain',
  policy: 'fraud-detector',
  model: 'fraud-detector',
  name: 'slo-breach',
  severity: 'critical',
  status: 'firing',
  summary: 'precision 0.88 < 0.92 for 3 evaluations: retraining',
  description:
    'precision = 0.88 (min 0.92) from sum(rate(fraud_tp_total[1h])) / sum(rate(fraud_flagged_total[1h]))',
  startsAt: new Date().toISOString(),
  link: 'http://127.0.0.1:8233/namespaces/default/workflows/policy%3Afraud-detector',
};

describe('notifications to real receivers', {
  skip: alertmanagerBinary() ? false : 'Alertmanager not installed',
}, () => {
  const { sendNotification } = createNotifyActivities();
  const send = (receivers: Record<string, Receiver>, n = notification) =>
    new MockActivityEnvironment().run(sendNotification, { receivers, notification: n }) as ReturnType<
      typeof sendNotification
    >;
  let sink: Server;
  let sinkUrl = '';
  const received: Received[] = [];
  let alertmanager: Awaited<ReturnType<typeof startAlertmanager>>;

  before(async () => {
    // The on-call tool behind the webhook: records what arrives and checks the signature.
    sink = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          body: JSON.parse(raw),
          signature: verifySignature(
            'hook-secret',
            raw,
            req.headers['x-ctpilot-signature'] as string | undefined,
          ),
        });
        res.writeHead(req.url === '/refuse' ? 400 : 200).end();
      });
    });
    const [port] = await freePorts(1);
    await new Promise<void>((resolve) => sink.listen(port, '127.0.0.1', resolve));
    sinkUrl = `http://127.0.0.1:${port}`;
    alertmanager = await startAlertmanager(`${sinkUrl}/from-alertmanager`);
    process.env.CTPILOT_TEST_HOOK_SECRET = 'hook-secret';
  });

  after(async () => {
    await alertmanager.stop();
    sink.close();
  });

  it('posts an Alertmanager-compatible, signed webhook payload', async () => {
    const results = await send({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference, resolved by the activity
      oncall: { webhook: { url: `${sinkUrl}/hook`, secret: '${env:CTPILOT_TEST_HOOK_SECRET}' } },
    });
    assert.deepEqual(results, [{ receiver: 'oncall', delivered: true, status: 200, attempts: 1 }]);
    const got = received.find((r) => r.path === '/hook');
    assert.ok(got);
    assert.equal(got.signature.ok, true);
    assert.equal(got.body.version, '4');
    assert.equal(got.body.status, 'firing');
    const [alert] = got.body.alerts as Array<{
      labels: Record<string, string>;
      annotations: Record<string, string>;
    }>;
    assert.equal(alert?.labels.alertname, 'ctpilot_retrain');
    assert.equal(alert?.labels.ctpilot_policy, 'fraud-detector');
    assert.equal(alert?.annotations.summary, notification.summary);
  });

  it('sends to a real Alertmanager, which holds the alert and routes it on', async () => {
    const results = await send({ am: { alertmanager: { url: alertmanager.url } } });
    assert.equal(results[0]?.delivered, true, results[0]?.error);
    const alerts = (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as Array<{
      labels: Record<string, string>;
      annotations: Record<string, string>;
      generatorURL: string;
    }>;
    const ours = alerts.find((a) => a.labels.ctpilot_policy === 'fraud-detector');
    assert.ok(ours, 'Alertmanager holds the alert');
    assert.equal(ours.labels.severity, 'critical');
    assert.equal(ours.annotations.description, notification.description);
    assert.equal(ours.generatorURL, notification.link);
    // Alertmanager's own webhook delivers it to the receiver it routes to.
    for (let i = 0; i < 100 && !received.some((r) => r.path === '/from-alertmanager'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const routed = received.find((r) => r.path === '/from-alertmanager');
    assert.ok(routed, 'routed through Alertmanager');
    assert.equal((routed.body.commonLabels as Record<string, string>).alertname, 'ctpilot_retrain');
  });

  it('skips receivers not subscribed to the event, and reports failures without throwing', async () => {
    const [deadPort] = await freePorts(1);
    const results = await send({
      promotions: { webhook: { url: `${sinkUrl}/hook` }, on: ['promotion'] },
      refusing: { webhook: { url: `${sinkUrl}/refuse` } },
      dead: { webhook: { url: `http://127.0.0.1:${deadPort}/hook` } },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference that does not resolve
      unresolvable: { webhook: { url: `${sinkUrl}/hook`, secret: '${env:CTPILOT_TEST_NOT_SET}' } },
    });
    const byName = Object.fromEntries(results.map((r) => [r.receiver, r]));
    assert.equal(byName.promotions?.skipped, true);
    assert.deepEqual(byName.refusing, {
      receiver: 'refusing',
      delivered: false,
      status: 400,
      error: 'HTTP 400',
      attempts: 1,
    });
    assert.equal(byName.dead?.delivered, false);
    assert.equal(byName.dead?.attempts, 3, 'a network failure is retried');
    assert.match(byName.dead?.error ?? '', /ECONNREFUSED/);
    assert.equal(byName.unresolvable?.delivered, false);
    assert.match(byName.unresolvable?.error ?? '', /CTPILOT_TEST_NOT_SET is not set/);
  });
});
