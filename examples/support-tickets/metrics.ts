// The simulator's Prometheus metrics: names, suggested PromQL, and a reader
// of the text format for tests that look at /metrics directly.

/** Every metric family the simulator exports (support_tickets/simulator/service.py). */
export const METRICS = {
  /** counter {model_version, predicted}: production predictions. */
  predictions: 'support_tickets_predictions_total',
  /** counter {model_version, label}: labels joined to a prediction of that version. */
  labels: 'support_tickets_labels_total',
  /** counter {model_version}: labelled predictions that were right. */
  correct: 'support_tickets_correct_predictions_total',
  /** counter: labels for requests the process no longer held. */
  unmatchedLabels: 'support_tickets_labels_unmatched_total',
  /** gauge: accuracy over the last N labelled predictions. */
  accuracy: 'support_tickets_accuracy',
  /** gauge: how many labels are behind `accuracy` (≤ N). */
  accuracyWindowLabels: 'support_tickets_accuracy_window_labels',
  /** histogram {model_version}: seconds to score one request. */
  latency: 'support_tickets_request_duration_seconds',
  /** counter: scoring requests answered 400. */
  invalidRequests: 'support_tickets_invalid_requests_total',
  /** gauge: share of simulated tickets written after the launch (0..1). */
  driftLevel: 'support_tickets_drift_level',
  /** gauge {model_name, alias, model_version, run_id} = 1: the serving version. */
  modelInfo: 'support_tickets_model_info',
  /** gauge: unix time the serving version was loaded. */
  modelLoadedAt: 'support_tickets_model_loaded_timestamp_seconds',
  /** counter {outcome: ok|error|rejected}: deploy hook calls. */
  reloads: 'support_tickets_model_reloads_total',
  /** counter {model_version}: predictions of non-serving versions (/versions/…, /aliases/…). */
  shadowPredictions: 'support_tickets_shadow_predictions_total',
  /** counter {kind: requests|labels}: records written to the S3 logs. */
  logRecords: 'support_tickets_log_records_total',
  logWriteErrors: 'support_tickets_log_write_errors_total',
  logDroppedRecords: 'support_tickets_log_dropped_records_total',
  logBufferedRecords: 'support_tickets_log_buffered_records',
} as const;

/**
 * Suggested PromQL for a policy watching the example. Series carry the
 * target labels `job="support-tickets"`, `model="<registered model>"` and
 * `simulator="<instance>"` (when the simulator registered itself with the
 * local Prometheus).
 */
export function promql(modelName: string, window = '5m') {
  const sel = `{model="${modelName.replace(/["\\]/g, '\\$&')}"}`;
  const ratio = (by: string) =>
    `sum${by}(increase(${METRICS.correct}${sel}[${window}])) / sum${by}(increase(${METRICS.labels}${sel}[${window}]))`;
  return {
    /** Accuracy of the labelled predictions whose labels arrived in the window (all versions). */
    accuracy: ratio(''),
    /** The same per serving version (for mirror-mode comparisons and bake). */
    accuracyByVersion: ratio(' by (model_version) '),
    /** The simulator's own gauge: the last N labels (no rate window; reacts fastest). */
    accuracyGauge: `min(${METRICS.accuracy}${sel})`,
    /** How many labels arrived in the window (the `require` of a trigger). */
    labelsSeen: `sum(increase(${METRICS.labels}${sel}[${window}]))`,
    predictionsPerSecond: `sum(rate(${METRICS.predictions}${sel}[${window}]))`,
    latencyP95: `histogram_quantile(0.95, sum by (le) (rate(${METRICS.latency}_bucket${sel}[${window}])))`,
    servingVersion: `max by (model_version) (${METRICS.modelInfo}${sel})`,
    driftLevel: `max(${METRICS.driftLevel}${sel})`,
  };
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/y;

/** Reads the Prometheus text format (0.0.4); throws on a line it cannot read, naming it. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`metrics line ${index + 1} is not a sample: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[2] ?? '';
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < body.length) {
      const pair = LABEL.exec(body);
      if (!pair) throw new Error(`metrics line ${index + 1} has malformed labels: ${line}`);
      labels[pair[1]!] = pair[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const raw = match[3]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (Number.isNaN(value) && raw !== 'NaN')
      throw new Error(`metrics line ${index + 1} has a bad value: ${line}`);
    samples.push({ name: match[1]!, labels, value });
  });
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels` (0 when none). */
export function sumOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}
