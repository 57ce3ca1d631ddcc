// OpenTelemetry tracing, off unless OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. Spans are made by Temporal's
// own interceptors (@temporalio/interceptors-opentelemetry, through its
// worker plugin): workflow, activity and client calls, linked across
// processes through Temporal headers. They are exported over OTLP/HTTP; the
// exporter reads the standard OTEL_* variables itself (headers, timeout).

import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';

export interface Tracing {
  readonly plugin: OpenTelemetryPlugin;
  readonly endpoint: string;
  /** Sends the spans buffered so far. */
  flush(): Promise<void>;
  /** Flushes and stops. */
  shutdown(): Promise<void>;
}

let current: Tracing | undefined;

/** The tracing set up for this process, if any (workers add its plugin). */
export function currentTracing(): Tracing | undefined {
  return current;
}

export function tracingEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return value ? value : undefined;
}

/** Sets tracing up once per process when configured; undefined when it is off. */
export function startTracing(env: NodeJS.ProcessEnv, role: string): Tracing | undefined {
  if (current) return current;
  const endpoint = tracingEndpoint(env);
  if (!endpoint || env.OTEL_SDK_DISABLED === 'true') return undefined;
  const resource = new Resource({
    'service.name': env.OTEL_SERVICE_NAME?.trim() || 'ctpilot',
    'service.namespace': 'ctpilot',
    'ctpilot.role': role,
  });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  // Global, so the activity and client interceptors' default tracer exports through it. The context
  // manager is what lets an activity's span continue the trace its workflow scheduled it in
  // (without one, context.with() is a no-op and every activity starts a new trace).
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  current = {
    plugin: new OpenTelemetryPlugin({ resource, spanProcessor: processor }),
    endpoint,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
  return current;
}
