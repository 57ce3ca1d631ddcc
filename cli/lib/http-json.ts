// One JSON request with a deadline, over Node's own http and https modules:
// how the read-only verbs ask Temporal's HTTP API and MLflow's registry.
// `ctpilot list` and `status` answer in well under a second only if they
// load little: the SDK's gRPC stack, axios and fetch each cost more to load
// than the questions take to answer on a local server.
import type { IncomingMessage, RequestOptions } from 'node:http';

/** The server answered with an error status; `body` is its JSON (or text) answer. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    url: string,
  ) {
    const detail =
      body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string'
        ? (body as { message: string }).message
        : typeof body === 'string'
          ? body.slice(0, 200)
          : '';
    super(`HTTP ${status} from ${url}${detail ? `: ${detail}` : ''}`);
    this.name = 'HttpStatusError';
  }
}

/** No complete answer within the deadline. */
export class HttpTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    url: string,
  ) {
    super(`no answer from ${url} within ${timeoutMs} ms`);
    this.name = 'HttpTimeoutError';
  }
}

export interface JsonRequest {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** The whole exchange, connect to last byte. */
  readonly timeoutMs: number;
  /** For https: the CA, the client's certificate pair (mTLS) and the name to verify. */
  readonly tls?: {
    readonly ca?: Buffer;
    readonly cert?: Buffer;
    readonly key?: Buffer;
    readonly servername?: string;
  };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The answer's JSON; HttpStatusError for a status of 400 or more, HttpTimeoutError past the deadline. */
export async function requestJson<T>(request: JsonRequest): Promise<T> {
  const url = new URL(request.url);
  const secure = url.protocol === 'https:';
  // Loaded on use: most calls go to one of the two.
  const transport = secure ? await import('node:https') : await import('node:http');
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const options: RequestOptions & Record<string, unknown> = {
    method: request.method ?? 'GET',
    headers: {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...request.headers,
    },
    ...(secure && request.tls
      ? {
          ...(request.tls.ca ? { ca: request.tls.ca } : {}),
          ...(request.tls.cert ? { cert: request.tls.cert } : {}),
          ...(request.tls.key ? { key: request.tls.key } : {}),
          ...(request.tls.servername ? { servername: request.tls.servername } : {}),
        }
      : {}),
  };
  return new Promise<T>((resolve, reject) => {
    const req = transport.request(url, options, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        const answer = parse(Buffer.concat(chunks).toString('utf8'));
        const status = res.statusCode ?? 0;
        if (status >= 400) reject(new HttpStatusError(status, answer, request.url));
        else resolve(answer as T);
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new HttpTimeoutError(request.timeoutMs, request.url));
    }, request.timeoutMs);
    function fail(error: Error) {
      clearTimeout(timer);
      reject(error);
    }
    req.on('error', fail);
    req.end(body);
  });
}
