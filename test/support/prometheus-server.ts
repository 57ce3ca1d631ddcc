// A Prometheus of its own for tests that stop and restart it (the shared
// test stack's must stay up): on a free port, data in a scratch directory.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../infra/stack/ports.ts';
import { prometheusBinary } from '../../infra/stack/services/prometheus.ts';

export interface PrometheusServer {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

export async function startPrometheusServer(): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ctpilot-prom-'));
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\n');
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const server: PrometheusServer = {
    url,
    async start() {
      child = spawn(
        prometheusBinary(),
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: 'ignore' },
      );
      for (let i = 0; ; i++) {
        try {
          if ((await fetch(`${url}/-/ready`)).ok) return;
        } catch {}
        if (i > 120) throw new Error('Prometheus did not start within 30 s');
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    async remove() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
