// Byte streams of text objects: gunzipped when the name ends in .gz, with
// errors that name the object.

import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { WindowObject } from '../locate.ts';
import { WindowReadError } from '../problems.ts';

export async function textBytes(obj: WindowObject): Promise<AsyncIterable<Uint8Array>> {
  const raw = await obj.source.stream();
  if (!obj.gzip) return raw;
  // pipeline, not pipe: a failing source must end the gunzipped stream with its error.
  const out = pipeline(Readable.from(raw), createGunzip(), () => {});
  return (async function* () {
    try {
      for await (const chunk of out) yield chunk as Uint8Array;
    } catch (e) {
      if (e instanceof WindowReadError) throw e;
      throw new WindowReadError(`${obj.source.uri} is not valid gzip: ${(e as Error).message}`);
    }
  })();
}
