// How every process of ctpilot connects to Temporal: the worker's native
// connections, the client of `npm start` and of the CLI all take their
// options from here, so TLS, mTLS and API keys configured once apply to each
// connection. Certificates are read at connect time: a Kubernetes secret
// that was rotated is picked up by the next process start.

import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { TemporalConfig } from './config.ts';

export interface TemporalConnectionOptions {
  readonly address: string;
  readonly tls?: TLSConfig;
  readonly apiKey?: string;
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read the Temporal ${what} ${path}: ${(error as Error).message}`);
  }
}

/** The connection options for Connection.connect and NativeConnection.connect. */
export function temporalConnectionOptions(temporal: TemporalConfig): TemporalConnectionOptions {
  const t = temporal.tls;
  if (!t) return { address: temporal.address, ...(temporal.apiKey ? { apiKey: temporal.apiKey } : {}) };
  const tls: TLSConfig = {
    ...(t.serverName ? { serverNameOverride: t.serverName } : {}),
    ...(t.caPath ? { serverRootCACertificate: read(t.caPath, 'CA certificate (TEMPORAL_TLS_CA)') } : {}),
    ...(t.certPath && t.keyPath
      ? {
          clientCertPair: {
            crt: read(t.certPath, 'client certificate (TEMPORAL_TLS_CERT)'),
            key: read(t.keyPath, 'client key (TEMPORAL_TLS_KEY)'),
          },
        }
      : {}),
  };
  return { address: temporal.address, tls, ...(temporal.apiKey ? { apiKey: temporal.apiKey } : {}) };
}

/** What the connection uses, in words, for start-up lines and errors (never the key itself). */
export function describeTemporalConnection(temporal: TemporalConfig): string {
  const parts = [temporal.address, `namespace ${temporal.namespace}`];
  if (temporal.tls) parts.push(temporal.tls.certPath ? 'mTLS' : 'TLS');
  if (temporal.apiKey) parts.push('API key');
  return parts.join(', ');
}
