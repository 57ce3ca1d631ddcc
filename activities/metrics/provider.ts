// The metric provider contract (after Argo Rollouts' `metric/provider.go`):
// one function per kind of source that turns a planned request into a
// Measurement. A provider never throws and never invents a number: a failed
// query is an `error` measurement, an empty answer `noData`, NaN/Inf
// `nonFinite` — and it says what it ran. It should be idempotent: measuring
// twice at the same instant gives the same answer.

import type { Measurement } from '../../policies/measurement.ts';
import type { MeasurementRequest } from '../../policies/requests.ts';
import type { ProviderKind } from '../../policies/schema/metrics.ts';

/** What a provider may need beyond its request: who the model is, and where its runs live. */
export interface ProviderContext {
  readonly model: string;
  readonly aliases: { readonly champion: string; readonly challenger: string };
  /** The training experiment (mlflow provider, run: latest). */
  readonly experiment?: string;
  /** Inbound alerts received by the controller (alert provider). */
  readonly alerts: readonly ReceivedAlert[];
}

/** An inbound alert as the controller keeps it (from Alertmanager, Grafana or another monitor). */
export interface ReceivedAlert {
  readonly source: string;
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly receivedAt: string;
  readonly startsAt?: string;
  readonly summary?: string;
}

export type RequestOf<K extends ProviderKind> = Extract<MeasurementRequest, { provider: K }>;

export type Provider<K extends ProviderKind> = (
  request: RequestOf<K>,
  context: ProviderContext,
) => Promise<Measurement>;
