// Bytes of one object of a window, wherever it lives: S3 (through
// ObjectStore), a local file, or HTTP(S). Readers either stream an object
// from the start (JSON Lines, CSV) or fetch byte ranges (Parquet: the footer,
// then only the column chunks they need), so no object is ever held whole.

import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { ObjectNotFoundError, type ObjectStore } from '../s3/client.ts';
import { WindowReadError } from './problems.ts';

export interface ByteSource {
  /** For messages: `s3://bucket/key`, `file:///path`, `https://host/path`. */
  readonly uri: string;
  size(): Promise<number>;
  /** The whole object, chunk by chunk. */
  stream(): Promise<AsyncIterable<Uint8Array>>;
  /** Bytes [start, end). */
  read(start: number, end: number): Promise<Uint8Array>;
}

/** Counts every byte a source hands out, for the window's `bytesRead`. */
export type ByteCounter = (n: number) => void;

/** Counts bytes as they pass, and names the object when the connection breaks mid-stream. */
async function* counted(
  body: AsyncIterable<Uint8Array>,
  count: ByteCounter,
  uri: string,
): AsyncGenerator<Uint8Array> {
  let n = 0;
  try {
    for await (const chunk of body) {
      n += chunk.byteLength;
      count(chunk.byteLength);
      yield chunk;
    }
  } catch (e) {
    if (e instanceof WindowReadError) throw e;
    throw new WindowReadError(`reading ${uri} failed after ${n} bytes: ${(e as Error).message}`);
  }
}

async function collect(body: AsyncIterable<Uint8Array>, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let at = 0;
  for await (const chunk of body) {
    if (at + chunk.byteLength > size)
      throw new WindowReadError(`a range answer was longer than the ${size} bytes asked for`);
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return at === size ? out : out.subarray(0, at);
}

export function s3Source(
  store: ObjectStore,
  bucket: string,
  key: string,
  count: ByteCounter,
  knownSize?: number,
): ByteSource {
  const uri = `s3://${bucket}/${key}`;
  let size = knownSize;
  const notFound = (e: unknown) => {
    if (e instanceof ObjectNotFoundError) throw new WindowReadError(`no object at ${uri}`);
    throw new WindowReadError(`cannot read ${uri}: ${(e as Error).message}`);
  };
  return {
    uri,
    async size() {
      if (size === undefined) size = (await store.head(uri).catch(notFound)).size;
      return size;
    },
    async stream() {
      const { body } = await store.openRead(uri).catch(notFound);
      return counted(body, count, uri);
    },
    async read(start, end) {
      const { body } = await store.openRead(uri, { start, end }).catch(notFound);
      return collect(counted(body, count, uri), end - start);
    },
  };
}

export function fileSource(path: string, count: ByteCounter): ByteSource {
  const uri = `file://${path}`;
  const fail = (e: unknown): never => {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') throw new WindowReadError(`no file at ${uri}`);
    throw new WindowReadError(`cannot read ${uri}: ${(e as Error).message}`);
  };
  return {
    uri,
    async size() {
      return (await stat(path).catch(fail)).size;
    },
    async stream() {
      await stat(path).catch(fail);
      return counted(createReadStream(path, { highWaterMark: 1 << 20 }), count, uri);
    },
    async read(start, end) {
      const handle = await open(path, 'r').catch(fail);
      try {
        const out = new Uint8Array(end - start);
        let at = 0;
        while (at < out.byteLength) {
          const { bytesRead } = await handle.read(out, at, out.byteLength - at, start + at);
          if (bytesRead === 0) break;
          at += bytesRead;
        }
        count(at);
        return out.subarray(0, at);
      } finally {
        await handle.close();
      }
    },
  };
}

/** HTTP(S): streams with GET, ranges with `Range:`; a server that ignores ranges is an error for Parquet. */
export function httpSource(url: string, count: ByteCounter): ByteSource {
  const uri = url;
  const get = async (headers: Record<string, string> = {}) => {
    let res: Response;
    try {
      res = await fetch(url, { headers });
    } catch (e) {
      throw new WindowReadError(`cannot reach ${uri}: ${(e as Error).cause ?? (e as Error).message}`);
    }
    if (res.status === 404) throw new WindowReadError(`no object at ${uri} (HTTP 404)`);
    if (!res.ok) throw new WindowReadError(`cannot read ${uri}: HTTP ${res.status} ${res.statusText}`);
    return res;
  };
  return {
    uri,
    async size() {
      const res = await get({ Range: 'bytes=0-0' });
      await res.body?.cancel();
      const total = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1];
      if (res.status === 206 && total) return Number(total);
      const length = res.headers.get('content-length');
      if (res.status === 200 && length) return Number(length);
      throw new WindowReadError(`${uri} does not say its size (no Content-Range or Content-Length)`);
    },
    async stream() {
      const res = await get();
      return counted((res.body ?? []) as AsyncIterable<Uint8Array>, count, uri);
    },
    async read(start, end) {
      if (end === start) return new Uint8Array();
      const res = await get({ Range: `bytes=${start}-${end - 1}` });
      if (res.status !== 206) {
        await res.body?.cancel();
        throw new WindowReadError(
          `${uri} does not answer range requests (HTTP ${res.status}), which Parquet needs`,
        );
      }
      return collect(counted((res.body ?? []) as AsyncIterable<Uint8Array>, count, uri), end - start);
    },
  };
}
