// The worker's /metrics endpoint: ctpilot's own metrics (prom-client) and the
// Temporal SDK's in one scrape. The SDK's Rust core serves its metrics on a
// loopback port of its own; this server reads them there and appends them, so
// a Prometheus (or a Kubernetes pod annotation) needs one target per process.
// Also /healthz for liveness and readiness probes.

import { createServer, type Server } from 'node:http';
import { registry } from './metrics.ts';

export interface MetricsServerOptions {
  readonly host: string;
  readonly port: number;
  /** Where the Temporal SDK serves its metrics (http://127.0.0.1:<port>/metrics), if it does. */
  readonly sdkMetricsUrl?: string;
  /** False while the workers are not running: /healthz answers 503. */
  readonly healthy?: () => boolean;
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

async function sdkMetrics(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return `# Temporal SDK metrics unavailable: HTTP ${response.status}\n`;
    return await response.text();
  } catch (error) {
    return `# Temporal SDK metrics unavailable: ${(error as Error).message}\n`;
  }
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      try {
        const [own, sdk] = await Promise.all([
          registry.metrics(),
          options.sdkMetricsUrl ? sdkMetrics(options.sdkMetricsUrl) : Promise.resolve(''),
        ]);
        res.writeHead(200, { 'Content-Type': registry.contentType }).end(`${own}\n${sdk}`);
      } catch (error) {
        res
          .writeHead(500, { 'Content-Type': 'text/plain' })
          .end(`metrics failed: ${(error as Error).message}\n`);
      }
      return;
    }
    if (path === '/healthz') {
      const ok = options.healthy?.() ?? true;
      res
        .writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' })
        .end(ok ? 'ok\n' : 'workers not running\n');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
