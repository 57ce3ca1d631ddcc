// A seeded scenario (diagnosis-scenarios.ts) put where a diagnosing policy
// reads it — its windows as JSON Lines in the test stack's S3 — and the
// policy over them: accuracy below its floor (so the retrain trigger is due),
// a KPI (ctr) with a change objective, training on the fixture project.
import { fileURLToPath } from 'node:url';
import type { ObjectStore } from '../../activities/s3/client.ts';
import type { Table } from '../../stats/columns.ts';
import { type ScenarioName, scenario } from './diagnosis-scenarios.ts';

const PROJECT = fileURLToPath(new URL('../fixtures/training/project', import.meta.url));

/** A table as JSON Lines records: NaN and null are missing (null). */
export function tableRecords(table: Table): Record<string, number | string | null>[] {
  const names = Object.keys(table);
  const n = Math.max(...names.map((c) => table[c]!.values.length));
  return Array.from({ length: n }, (_, i) =>
    Object.fromEntries(
      names.map((c) => {
        const v = table[c]!.values[i];
        return [c, typeof v === 'number' ? (Number.isFinite(v) ? v : null) : (v ?? null)];
      }),
    ),
  );
}

/**
 * Writes the scenario's windows under `prefix` and returns the policy document
 * over them; `ctr` is the KPI's value (0.05 is its baseline, below 0.045 a drop).
 */
export async function diagnosisWorld(
  store: ObjectStore,
  options: {
    readonly name: string;
    readonly world: ScenarioName;
    readonly prefix: string;
    readonly ctr: number;
    /** Added to the diagnosis section (routes, samples, events). */
    readonly diagnosis?: Record<string, unknown>;
    readonly notify?: Record<string, unknown>;
  },
): Promise<Record<string, unknown>> {
  const { name, prefix, ctr } = options;
  const s = scenario(options.world);
  await store.putJsonLines(`${prefix}reference.jsonl`, tableRecords(s.reference));
  await store.putJsonLines(`${prefix}current.jsonl`, tableRecords(s.current));
  return {
    apiVersion: 'ctpilot/v1',
    kind: 'RetrainingPolicy',
    metadata: { name, owner: 'tests' },
    model: { name: `${name}-model` },
    evaluate: { every: '1h' },
    metrics: {
      accuracy: { prometheus: { query: 'vector(0.7)' }, objective: { min: 0.75 } },
      ctr: {
        prometheus: { query: `vector(${ctr})` },
        objective: { change: { baseline: { value: 0.05 }, maxRelativeDrop: 0.1 } },
      },
    },
    triggers: { 'accuracy-drop': { when: 'accuracy.breached', for: 1, action: 'retrain' } },
    guards: { cooldown: '1h' },
    training: {
      experiment: `${name}-training`,
      launcher: { mlflowProject: { uri: PROJECT, entryPoint: 'train' } },
      parameters: { quality: 0.95 },
      timeout: '5m',
      accept: [{ metric: 'val_accuracy', min: 0.9 }],
    },
    diagnosis: {
      reference: { uri: `${prefix}reference.jsonl` },
      current: { uri: `${prefix}current.jsonl` },
      columns: {
        features: [...s.roles.features],
        score: s.roles.score,
        label: s.roles.label,
        segment: 'segment',
      },
      kpi: 'ctr',
      ...options.diagnosis,
    },
    ...(options.notify ? { notify: options.notify } : {}),
  };
}
