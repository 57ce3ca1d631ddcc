import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ConfigError,
  LOCAL_POSTGRES_ADMIN_PASSWORD,
  LOCAL_POSTGRES_WORKER_PASSWORD,
  loadConfig,
  postgresBinDir,
  VARIABLES,
} from '../../../workers/config.ts';

describe('configuration from the environment', () => {
  it('defaults to a local stack on the documented ports', () => {
    const config = loadConfig({});
    assert.equal(config.temporal.external, false);
    assert.equal(config.temporal.address, '127.0.0.1:7233');
    assert.equal(config.temporal.uiUrl, 'http://127.0.0.1:8233');
    assert.equal(config.temporal.taskQueue, 'ctpilot');
    assert.equal(config.mlflow.trackingUri, 'http://127.0.0.1:5000');
    // Which local engine is the default depends on whether Debian's PostgreSQL is installed.
    assert.match(config.postgres.url, /@127\.0\.0\.1:55432\/postgres$/);
    assert.equal(config.postgres.engine, postgresBinDir() ? 'postgresql' : 'pglite');
    assert.equal(config.s3.endpoint, 'http://127.0.0.1:9000');
    assert.equal(config.s3.forcePathStyle, true);
    assert.equal(config.prometheus.url, 'http://127.0.0.1:9090');
    assert.ok(config.home.endsWith('.ctpilot'));
  });

  it("the local PostgreSQL engine: PGlite as postgres; Debian's as the worker role with the home's passwords", () => {
    const home = mkdtempSync(join(tmpdir(), 'ctpilot-config-'));
    try {
      const pglite = loadConfig({ CTPILOT_HOME: home, CTPILOT_POSTGRES_ENGINE: 'pglite' }).postgres;
      assert.equal(pglite.url, 'postgresql://postgres@127.0.0.1:55432/postgres');
      assert.equal(pglite.adminUrl, pglite.url);
      if (!postgresBinDir()) {
        assert.throws(
          () => loadConfig({ CTPILOT_HOME: home, CTPILOT_POSTGRES_ENGINE: 'postgresql' }),
          (e: unknown) => e instanceof ConfigError && /apt-get install postgresql/.test(e.message),
        );
        return;
      }
      writeFileSync(join(home, LOCAL_POSTGRES_WORKER_PASSWORD), 'w/rk+1\n');
      writeFileSync(join(home, LOCAL_POSTGRES_ADMIN_PASSWORD), 'adm@n\n');
      const debian = loadConfig({ CTPILOT_HOME: home, CTPILOT_POSTGRES_ENGINE: 'postgresql' }).postgres;
      assert.equal(debian.url, 'postgresql://ctpilot_worker:w%2Frk%2B1@127.0.0.1:55432/postgres');
      assert.equal(debian.adminUrl, 'postgresql://postgres:adm%40n@127.0.0.1:55432/postgres');
      assert.equal(debian.binDir, postgresBinDir());
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('a service variable makes that service external; ports move the local ones', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      MLFLOW_TRACKING_URI: 'https://mlflow.example.com/',
      CTPILOT_PROMETHEUS_PORT: '19090',
      S3_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com',
      AWS_ACCESS_KEY_ID: 'AKIA…',
      AWS_SECRET_ACCESS_KEY: 'secret',
      S3_FORCE_PATH_STYLE: 'false',
    });
    assert.equal(config.temporal.external, true);
    assert.equal(config.temporal.address, 'temporal.internal:7233');
    assert.equal(config.mlflow.external, true);
    assert.equal(config.mlflow.trackingUri, 'https://mlflow.example.com');
    assert.equal(config.prometheus.external, false);
    assert.equal(config.prometheus.url, 'http://127.0.0.1:19090');
    assert.equal(config.s3.external, true);
    assert.equal(config.s3.accessKeyId, 'AKIA…');
    assert.equal(config.s3.forcePathStyle, false);
  });

  it('without S3_ENDPOINT, the local server credentials are used, never the user AWS ones', () => {
    const config = loadConfig({ AWS_ACCESS_KEY_ID: 'real-aws-key', AWS_SECRET_ACCESS_KEY: 'real' });
    assert.equal(config.s3.external, false);
    assert.notEqual(config.s3.accessKeyId, 'real-aws-key');
  });

  it('bad values name the variable and what it accepts', () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ CTPILOT_MLFLOW_PORT: 'five thousand' }, 'CTPILOT_MLFLOW_PORT', /port number from 0 to 65535/],
      [{ CTPILOT_S3_PORT: '70000' }, 'CTPILOT_S3_PORT', /port number/],
      [{ PROMETHEUS_URL: 'not a url' }, 'PROMETHEUS_URL', /expected a URL/],
      [{ TEMPORAL_ADDRESS: 'http://temporal:7233' }, 'TEMPORAL_ADDRESS', /host:port/],
      [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', /postgresql:\/\//],
      [{ S3_FORCE_PATH_STYLE: 'maybe' }, 'S3_FORCE_PATH_STYLE', /true or false/],
    ];
    for (const [env, variable, pattern] of cases) {
      assert.throws(
        () => loadConfig(env),
        (error: unknown) =>
          error instanceof ConfigError && error.variable === variable && pattern.test(error.message),
        variable,
      );
    }
  });

  it('documents every variable it reads', async () => {
    const { readFileSync } = await import('node:fs');
    const source = readFileSync(new URL('../../../workers/config.ts', import.meta.url), 'utf8');
    const read = new Set([...source.matchAll(/env(?:\.|, ')([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!));
    const documented = VARIABLES.flatMap((v) => v.name.split(' / '));
    for (const name of read) {
      if (name === 'AWS_ACCESS_KEY_ID' || name === 'AWS_SECRET_ACCESS_KEY' || name === 'AWS_DEFAULT_REGION')
        continue;
      assert.ok(documented.includes(name), `${name} is read but not in VARIABLES (and so not in the README)`);
    }
  });

  it('the README documents every variable', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const variable of VARIABLES.flatMap((v) => v.name.split(' / '))) {
      assert.ok(readme.includes(`\`${variable}\``), `${variable} is missing from the README`);
    }
  });
});
