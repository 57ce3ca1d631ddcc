// One call that gives a worker process its observability: tracing when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, the Temporal runtime with SDK metrics
// on a private loopback port, and the /metrics + /healthz endpoint that
// serves ctpilot's metrics and the SDK's together (CTPILOT_WORKER_METRICS_PORT,
// 0: off). Call it before creating workers.

import type { Logger } from 'pino';
import { freePorts } from '../infra/stack/ports.ts';
import type { Config } from './config.ts';
import { startMetricsServer } from './metrics-server.ts';
import { installRuntime } from './orchestrator.ts';
import { startTracing } from './tracing.ts';

export interface Observability {
  /** Where /metrics is served, when it is. */
  readonly metricsUrl?: string;
  /** Where traces go, when tracing is on. */
  readonly tracesTo?: string;
  close(): Promise<void>;
}

export async function startObservability(
  config: Config,
  logger: Logger,
  options: { readonly role: string; readonly healthy?: () => boolean },
): Promise<Observability> {
  const tracing = startTracing(process.env, options.role);
  if (config.workerMetricsPort === 0) {
    installRuntime(config, logger);
    return { ...(tracing ? { tracesTo: tracing.endpoint } : {}), close: async () => tracing?.shutdown() };
  }
  const [sdkPort] = await freePorts(1);
  installRuntime(config, logger, { sdkMetricsAddress: `127.0.0.1:${sdkPort}` });
  const server = await startMetricsServer({
    host: config.workerMetricsHost,
    port: config.workerMetricsPort,
    sdkMetricsUrl: `http://127.0.0.1:${sdkPort}/metrics`,
    ...(options.healthy ? { healthy: options.healthy } : {}),
  });
  return {
    metricsUrl: `${server.url}/metrics`,
    ...(tracing ? { tracesTo: tracing.endpoint } : {}),
    async close() {
      await server.close();
      await tracing?.shutdown();
    },
  };
}
