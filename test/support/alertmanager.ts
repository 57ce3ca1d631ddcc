// A real Alertmanager (Debian's prometheus-alertmanager) for notification
// tests, on a free port in a scratch directory.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../infra/stack/ports.ts';

export function alertmanagerBinary(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v prometheus-alertmanager || command -v alertmanager'], {
    encoding: 'utf8',
  });
  return found.stdout.trim() || undefined;
}

export async function startAlertmanager(
  webhookUrl: string,
  bearerToken?: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const binary = alertmanagerBinary();
  if (!binary) throw new Error('Alertmanager is not installed (apt-get install prometheus-alertmanager)');
  const dir = mkdtempSync(join(tmpdir(), 'ctpilot-am-'));
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    [
      'route:',
      '  receiver: forward',
      '  group_by: [ctpilot_policy]',
      '  group_wait: 100ms',
      '  group_interval: 1s',
      'receivers:',
      '  - name: forward',
      '    webhook_configs:',
      `      - url: ${webhookUrl}`,
      ...(bearerToken
        ? ['        http_config:', '          authorization:', `            credentials: ${bearerToken}`]
        : []),
      '',
    ].join('\n'),
  );
  const [port] = await freePorts(1);
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {}
    if (i > 120) {
      child.kill('SIGKILL');
      throw new Error('Alertmanager did not start within 30 s');
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
