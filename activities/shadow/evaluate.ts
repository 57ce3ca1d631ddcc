// The shadow's interim and final verdicts: every score the replay kept,
// joined with the labels that have arrived so far, judged by the policy's
// comparisons (policies/shadow-verdict.ts). The final one also writes the
// report to S3 and onto the challenger's MLflow run.
import {
  type PairedSample,
  type ShadowComparison,
  type ShadowVerdict,
  shadowVerdict,
} from '../../policies/shadow-verdict.ts';
import type { MlflowClient } from '../mlflow/client.ts';
import type { ObjectStore } from '../s3/client.ts';
import { type ReplayFields, type ScoreRecord, scoresPrefix } from './replay.ts';
import { type ReportContext, shadowReportHtml } from './report.ts';

export interface ShadowEvaluationInput {
  readonly workflowId: string;
  readonly labelsUri?: string;
  readonly fields: ReplayFields;
  readonly comparisons: readonly ShadowComparison[];
  readonly minSamples: number;
  /** Given for the final verdict: write the report. */
  readonly report?: ReportContext & { readonly challengerRunId?: string };
}

export interface ShadowEvaluation {
  readonly verdict: ShadowVerdict;
  /** s3:// URI of the report (final verdict only). */
  readonly reportUri?: string;
  readonly reportArtifact?: string;
}

export const SHADOW_REPORT_ARTIFACT = 'ctpilot/shadow-report.html';

async function readLabels(
  store: ObjectStore,
  uri: string,
  fields: ReplayFields,
): Promise<Map<string, string>> {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`shadow labels must be an s3:// prefix of JSON Lines objects, got ${uri}`);
  const labels = new Map<string, string>();
  for await (const object of store.list(match[2]!, match[1]!)) {
    for await (const line of store.readJsonLines(`s3://${object.bucket}/${object.key}`)) {
      const record = line as Record<string, unknown>;
      if (record[fields.id] !== undefined && record[fields.label] !== undefined) {
        labels.set(String(record[fields.id]), String(record[fields.label]));
      }
    }
  }
  return labels;
}

export async function pairedSamples(
  store: ObjectStore,
  input: Pick<ShadowEvaluationInput, 'workflowId' | 'labelsUri' | 'fields'>,
): Promise<PairedSample[]> {
  const labels = input.labelsUri
    ? await readLabels(store, input.labelsUri, input.fields)
    : new Map<string, string>();
  const samples: PairedSample[] = [];
  for await (const object of store.list(scoresPrefix(input.workflowId))) {
    for await (const line of store.readJsonLines(`s3://${object.bucket}/${object.key}`)) {
      const s = line as ScoreRecord;
      const label = labels.get(s.id);
      samples.push({
        id: s.id,
        at: s.at,
        champion: s.champion,
        challenger: s.challenger,
        ...(label !== undefined ? { label } : {}),
        ...(s.championLatencyMs !== undefined ? { championLatencyMs: s.championLatencyMs } : {}),
        ...(s.challengerLatencyMs !== undefined ? { challengerLatencyMs: s.challengerLatencyMs } : {}),
      });
    }
  }
  return samples;
}

export function createShadowEvaluationActivities({
  store,
  mlflow,
}: {
  store: ObjectStore;
  mlflow: MlflowClient;
}) {
  return {
    async evaluateShadow(input: ShadowEvaluationInput): Promise<ShadowEvaluation> {
      const samples = await pairedSamples(store, input);
      const verdict = shadowVerdict(input.comparisons, samples, input.minSamples);
      if (!input.report) return { verdict };
      const html = shadowReportHtml(input.report, verdict, samples);
      const key = `${scoresPrefix(input.workflowId).replace(/scores\/$/, '')}report.html`;
      await store.put(key, html, 'text/html; charset=utf-8');
      let reportArtifact: string | undefined;
      if (input.report.challengerRunId) {
        const run = await mlflow.getRun(input.report.challengerRunId);
        await mlflow.uploadArtifact(run.info, SHADOW_REPORT_ARTIFACT, html, 'text/html');
        reportArtifact = SHADOW_REPORT_ARTIFACT;
      }
      return { verdict, reportUri: store.uri(key), reportArtifact };
    },
  };
}
