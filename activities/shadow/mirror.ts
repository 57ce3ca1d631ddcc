// Shadow in mirror mode: the serving platform mirrors production traffic to
// the challenger and exports per-version metrics; ctpilot reads each
// comparison's query for both versions over the shadow period and compares
// the paired series (policies/shadow-verdict.ts: mirrorVerdict).

import { renderQuery } from '../../policies/promql.ts';
import {
  mirrorVerdict,
  type PairedSeries,
  type ShadowComparison,
  type ShadowVerdict,
} from '../../policies/shadow-verdict.ts';
import type { PrometheusFor } from '../metrics/prometheus.ts';
import type { QueryResult } from '../prometheus/client.ts';

function seriesOf(result: QueryResult): Map<number, number> | string {
  if (result.kind === 'error') return `Prometheus ${result.error}: ${result.message}`;
  if (result.kind !== 'matrix') return `expected a range result, got ${result.kind}`;
  if (result.series.length !== 1)
    return `the query returned ${result.series.length} series per version; aggregate it to one`;
  return new Map(
    result.series[0]!.points.filter((p) => Number.isFinite(p.value)).map((p) => [p.timestamp, p.value]),
  );
}

export function createMirrorActivities({ prometheusFor }: { prometheusFor: PrometheusFor }) {
  return {
    async evaluateMirror(input: {
      comparisons: readonly ShadowComparison[];
      values: Readonly<Record<string, string>>;
      championVersion: string;
      challengerVersion: string;
      from: string;
      to: string;
    }): Promise<{ verdict: ShadowVerdict }> {
      const client = await prometheusFor();
      const from = new Date(input.from);
      const to = new Date(input.to);
      const step = Math.max(15, Math.round((to.getTime() - from.getTime()) / 1000 / 200));
      const series: PairedSeries[] = [];
      for (const comparison of input.comparisons) {
        if (!comparison.query) {
          series.push({
            metric: comparison.metric,
            points: [],
            error: 'mirror mode needs a query per comparison',
          });
          continue;
        }
        const query = (version: string) => renderQuery(comparison.query!, { ...input.values, version });
        const [champion, challenger] = await Promise.all([
          client.queryRange(query(input.championVersion), from, to, step),
          client.queryRange(query(input.challengerVersion), from, to, step),
        ]);
        const a = seriesOf(champion);
        const b = seriesOf(challenger);
        if (typeof a === 'string' || typeof b === 'string') {
          series.push({
            metric: comparison.metric,
            points: [],
            error: typeof a === 'string' ? a : (b as string),
          });
          continue;
        }
        const points = [...a.entries()].flatMap(([t, v]) => (b.has(t) ? [[v, b.get(t)!] as const] : []));
        series.push({ metric: comparison.metric, points });
      }
      return { verdict: mirrorVerdict(input.comparisons, series) };
    },
  };
}
