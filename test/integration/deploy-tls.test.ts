// Temporal over TLS and mTLS, for real: the dev server has no TLS of its own,
// so the test puts a TLS-terminating proxy in front of it (Node's tls server,
// requiring a client certificate signed by a CA made here with openssl) and
// points ctpilot at the proxy with the TEMPORAL_TLS_* variables. The CLI,
// a client, and a worker process (Rust core's connection) all connect through
// it; without a client certificate the handshake is refused. The API-key
// mapping is checked as configuration only: the dev server does not check keys.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server } from 'node:tls';
import { Client, Connection } from '@temporalio/client';
import { freePorts } from '../../infra/stack/ports.ts';
import { ConfigError, loadConfig } from '../../workers/config.ts';
import { temporalConnectionOptions } from '../../workers/temporal-connection.ts';
import { testConfig, uniqueName } from '../support/env.ts';
import { waitFor } from '../support/wait-for.ts';
import { ctpilot } from '../unit/cli/helpers.ts';
import { applyFastPolicy, evaluationsOn, startWorkerProcess, type WorkerProcess } from './deploy-support.ts';

const openssl = spawnSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).stdout.trim();

function sh(dir: string, args: string[]): void {
  const r = spawnSync(openssl, args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA, a server certificate for temporal.test and a client certificate, EC P-256, valid two days. */
function makeCertificates(dir: string): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  sh(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=ctpilot test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  for (const [name, cn, ext] of [
    ['server', 'temporal.test', 'subjectAltName=DNS:temporal.test\nextendedKeyUsage=serverAuth\n'],
    ['client', 'ctpilot-worker', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    writeFileSync(
      join(dir, `${name}.ext`),
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n${ext}`,
    );
    sh(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    sh(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ]);
  }
}

describe('Temporal over mTLS', { skip: openssl ? false : 'openssl not installed' }, () => {
  const config = testConfig();
  const [host, upstreamPort] = config.temporal.address.split(':') as [string, string];
  let dir: string;
  let proxy: Server;
  let proxyPort: number;
  const sockets = new Set<Socket>();
  let tlsEnv: Record<string, string>;
  const handshakes = { ok: 0, refused: 0 };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ctpilot-tls-'));
    makeCertificates(dir);
    const read = (f: string) => readFileSync(join(dir, f));
    proxy = createServer(
      {
        key: read('server.key'),
        cert: read('server.pem'),
        ca: read('ca.pem'),
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2'],
      },
      (socket) => {
        handshakes.ok++;
        const upstream = connect(Number(upstreamPort), host);
        for (const s of [socket, upstream]) {
          sockets.add(s);
          s.on('error', () => {
            socket.destroy();
            upstream.destroy();
          });
          s.on('close', () => sockets.delete(s));
        }
        socket.pipe(upstream).pipe(socket);
      },
    );
    proxy.on('tlsClientError', () => handshakes.refused++);
    [proxyPort] = (await freePorts(1)) as [number];
    await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', () => r()));
    tlsEnv = {
      TEMPORAL_ADDRESS: `127.0.0.1:${proxyPort}`,
      TEMPORAL_TLS_CA: join(dir, 'ca.pem'),
      TEMPORAL_TLS_CERT: join(dir, 'client.pem'),
      TEMPORAL_TLS_KEY: join(dir, 'client.key'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
    };
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => proxy?.close(() => r(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the CLI connects with a client certificate, and is refused without one', async () => {
    const policies = join(dir, 'policies');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(policies);
    writeFileSync(
      join(policies, 'p.yaml'),
      'apiVersion: ctpilot/v1\nkind: RetrainingPolicy\nmetadata: { name: tls-probe }\nmodel: { name: tls-probe }\nmetrics:\n  q: { prometheus: { query: vector(1) } }\ntriggers:\n  t: { when: q.value < 0, action: alert }\n',
    );
    const env = { ...(process.env as Record<string, string>), ...tlsEnv };
    const ok = await ctpilot(['diff', '--json', policies], { env });
    assert.ok(ok.code === 0 || ok.code === 1, ok.stderr);
    assert.match(ok.stdout, /tls-probe/);
    const { TEMPORAL_TLS_CERT: _c, TEMPORAL_TLS_KEY: _k, ...withoutCert } = env;
    const refused = await ctpilot(['diff', policies], { env: withoutCert });
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      new RegExp(`cannot reach Temporal at 127\\.0\\.0\\.1:${proxyPort}, namespace default, TLS`),
    );
    assert.ok(handshakes.refused >= 1);
  });

  it('a worker process (Rust core connection) and a client run a policy through the mTLS endpoint', async () => {
    const taskQueue = uniqueName('tls');
    const policy = uniqueName('tls');
    const [metricsPort] = (await freePorts(1)) as [number];
    let worker: WorkerProcess | undefined;
    const tlsConfig = loadConfig({ ...process.env, ...tlsEnv });
    assert.equal(tlsConfig.temporal.external, true);
    const connection = await Connection.connect(temporalConnectionOptions(tlsConfig.temporal));
    try {
      const before = handshakes.ok;
      worker = await startWorkerProcess(['--orchestrator'], {
        ...process.env,
        ...tlsEnv,
        CTPILOT_TASK_QUEUE: taskQueue,
        CTPILOT_WORKER_METRICS_PORT: String(metricsPort),
        CTPILOT_ALERTS_PORT: '0',
      });
      assert.match(worker.output(), new RegExp(`127\\.0\\.0\\.1:${proxyPort}, namespace default, mTLS`));
      assert.ok(handshakes.ok > before, 'the worker connected through the TLS proxy');
      const client = new Client({ connection, namespace: tlsConfig.temporal.namespace });
      await applyFastPolicy(client, policy, taskQueue);
      await waitFor('evaluations over mTLS', async () =>
        (await evaluationsOn(`http://127.0.0.1:${metricsPort}/metrics`, policy)) >= 2 ? true : undefined,
      );
      await client.workflow.getHandle(`policy:${policy}`).terminate('test finished');
    } finally {
      worker?.child.kill('SIGTERM');
      await worker?.exited;
      await connection.close();
    }
  });

  it('maps the variables: API keys imply TLS, a certificate needs its key, files must exist', () => {
    const cloud = loadConfig({
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: 'key-123',
    });
    assert.deepEqual(cloud.temporal.tls, {});
    assert.deepEqual(temporalConnectionOptions(cloud.temporal), {
      address: 'ns.acct.tmprl.cloud:7233',
      tls: {},
      apiKey: 'key-123',
    });
    assert.equal(loadConfig({}).temporal.tls, undefined);
    assert.deepEqual(loadConfig({ TEMPORAL_TLS: 'true' }).temporal.tls, {});
    const mtls = temporalConnectionOptions(loadConfig(tlsEnv).temporal);
    assert.equal(mtls.tls?.serverNameOverride, 'temporal.test');
    assert.ok(mtls.tls?.clientCertPair?.crt.toString().includes('BEGIN CERTIFICATE'));
    assert.ok(mtls.tls?.serverRootCACertificate);
    assert.throws(
      () => loadConfig({ TEMPORAL_TLS_CERT: tlsEnv.TEMPORAL_TLS_CERT }),
      (e: unknown) => e instanceof ConfigError && e.variable === 'TEMPORAL_TLS_KEY',
    );
    assert.throws(
      () => loadConfig({ TEMPORAL_TLS_CA: '/nonexistent/ca.pem' }),
      /TEMPORAL_TLS_CA: no such file/,
    );
  });
});
