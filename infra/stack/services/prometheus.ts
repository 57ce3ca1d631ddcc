// Prometheus from Debian's package, configured from infra/prometheus/ with
// its data under <home>/prometheus. The remote-write receiver is on so tests
// and benchmarks can load series into it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../../workers/config.ts';
import { probe, type Service } from '../service.ts';

export function prometheusBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  throw new Error(
    'prometheus not found: run `npm run bootstrap` as root on Debian, or `sudo apt-get install prometheus`, or set PROMETHEUS_URL',
  );
}

/** The stack's Prometheus configuration, with this configuration's addresses filled in. */
export function renderPrometheusConfig(config: Config, targetsDir: string): string {
  const template = readFileSync(join(config.root, 'infra', 'prometheus', 'prometheus.yml'), 'utf8');
  const values: Record<string, string> = {
    PROMETHEUS_ADDRESS: `127.0.0.1:${config.prometheus.port}`,
    TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${config.temporal.metricsPort}`,
    WORKER_METRICS_ADDRESS: `127.0.0.1:${config.workerMetricsPort}`,
    TARGETS_DIR: targetsDir,
    RULES_DIR: join(config.root, 'infra', 'prometheus', 'rules'),
  };
  return template.replace(/\$\{([A-Z_]+)\}/g, (match, name: string) => values[name] ?? match);
}

export const prometheus: Service = {
  name: 'prometheus',
  title: 'Prometheus',
  externalVariable: 'PROMETHEUS_URL',
  external: (config) => config.prometheus.external,
  endpoint: (config) => config.prometheus.url,
  ports: (config) => [
    { port: config.prometheus.port, variable: 'CTPILOT_PROMETHEUS_PORT', role: 'HTTP API' },
  ],
  after: [],
  startTimeoutMs: 60_000,
  prepare(config) {
    const dir = join(config.home, 'prometheus');
    const targetsDir = join(dir, 'targets');
    mkdirSync(join(dir, 'data'), { recursive: true });
    mkdirSync(targetsDir, { recursive: true });
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, renderPrometheusConfig(config, targetsDir));
    return {
      command: prometheusBinary(),
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${config.prometheus.port}`,
        '--web.enable-lifecycle',
        '--web.enable-remote-write-receiver',
        '--storage.tsdb.retention.time=90d',
        '--log.level=warn',
      ],
    };
  },
  async healthy(config) {
    return (await probe(`${config.prometheus.url}/-/ready`))?.ok === true;
  },
};
