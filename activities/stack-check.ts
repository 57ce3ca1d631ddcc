// Activities of the stack-check workflow: each reaches one outside system and
// reports what it found, so the workflow's history shows the wiring end to end.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { MlflowClient } from './mlflow/client.ts';
import type { Pool } from './postgres/pool.ts';
import type { PrometheusClient } from './prometheus/client.ts';
import type { ObjectStore } from './s3/client.ts';

export interface ProbeResult {
  readonly ok: boolean;
  readonly detail: string;
}

export interface PolicyFileInfo {
  readonly file: string;
  readonly name?: string;
  readonly error?: string;
}

export interface StackCheckRecord {
  readonly workflowId: string;
  readonly runId: string;
  readonly checkedAt: string;
  readonly policy?: PolicyFileInfo;
  readonly mlflow: ProbeResult;
  readonly prometheus: ProbeResult;
  readonly objectStore: ProbeResult;
}

export interface StackCheckDeps {
  readonly mlflow: MlflowClient;
  readonly prometheus: PrometheusClient;
  readonly store: ObjectStore;
  readonly pool: Pool;
}

export function createStackCheckActivities({ mlflow, prometheus, store, pool }: StackCheckDeps) {
  return {
    /** The `metadata.name` of a policy file, or why it could not be read. */
    async readPolicyName(file: string): Promise<PolicyFileInfo> {
      try {
        const document = parseYaml(await readFile(file, 'utf8'), { maxAliasCount: 100 }) as {
          metadata?: { name?: unknown };
        } | null;
        const name = document?.metadata?.name;
        return typeof name === 'string'
          ? { file: basename(file), name }
          : { file: basename(file), error: 'no metadata.name in the file' };
      } catch (error) {
        return { file: basename(file), error: (error as Error).message.split('\n')[0] };
      }
    },

    async checkMlflow(): Promise<ProbeResult> {
      if (!(await mlflow.health()))
        return { ok: false, detail: `no answer from ${mlflow.trackingUri}/health` };
      try {
        const experiment = await mlflow.getExperimentByName('Default');
        return { ok: true, detail: `healthy; Default experiment ${experiment ? 'present' : 'absent'}` };
      } catch (error) {
        return { ok: false, detail: (error as Error).message };
      }
    },

    async checkPrometheus(): Promise<ProbeResult> {
      const result = await prometheus.query('up');
      if (result.kind === 'error') return { ok: false, detail: `${result.error}: ${result.message}` };
      const series = result.kind === 'vector' ? result.samples.length : 0;
      return { ok: true, detail: `query "up" answered with ${series} series` };
    },

    /** Writes and reads back one small object. */
    async checkObjectStore(key: string): Promise<ProbeResult> {
      try {
        const marker = { written: new Date().toISOString() };
        await store.putJson(key, marker);
        const back = (await store.getJson(key)) as typeof marker;
        return back.written === marker.written
          ? { ok: true, detail: `wrote and read ${store.uri(key)}` }
          : { ok: false, detail: `read back different content from ${store.uri(key)}` };
      } catch (error) {
        return { ok: false, detail: (error as Error).message };
      }
    },

    /** Records the result; a retry of the same run finds its row and changes nothing. */
    async recordStackCheck(record: StackCheckRecord): Promise<void> {
      await pool.query(
        `INSERT INTO ctpilot.stack_checks
           (workflow_id, run_id, checked_at, policy_file, policy_name, mlflow_ok, prometheus_ok, s3_ok, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (workflow_id, run_id) DO NOTHING`,
        [
          record.workflowId,
          record.runId,
          record.checkedAt,
          record.policy?.file ?? null,
          record.policy?.name ?? null,
          record.mlflow.ok,
          record.prometheus.ok,
          record.objectStore.ok,
          JSON.stringify(record),
        ],
      );
    },
  };
}
