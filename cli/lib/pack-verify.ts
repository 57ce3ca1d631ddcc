// `ctpilot audit verify --pack DIR [--public-key FILE]`: an evidence pack
// checked offline, with nothing but its files and a public key — no
// database, Temporal or S3. It checks that
//   - every file matches the SHA-256 the manifest lists, and the manifest's
//     signature (when the exporter held the key) verifies;
//   - every row of audit-rows.jsonl matches its hash, links to the row before
//     it, and carries a signature that verifies with the key;
//   - the rows evidence.json cites are those rows, with those hashes;
//   - the checkpoints copied into the pack are signed by the key.
// The key to trust is the one published out of band (--public-key); the
// pack's own public-keys.json is used when none is given, and said so: a
// forger who rewrites a pack can put their own key in it.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chainHash } from '../../activities/audit/chain.ts';
import { type Checkpoint, checkpointTrust } from '../../activities/audit/checkpoints.ts';
import { type AuditVerifier, rowMessage, verifierOf } from '../../activities/audit/signing.ts';
import { manifestMessage } from '../../activities/evidence/files.ts';
import { fileError } from './errors.ts';

export interface PackCheck {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly checked: readonly string[];
  /** Where the key came from: the file given, or the pack itself. */
  readonly keySource: string;
  readonly keyIds: readonly string[];
}

interface PackRow {
  seq: number;
  modelSeq: number;
  content: string;
  prevHash: string;
  hash: string;
  signature: string | null;
  keyId: string | null;
}

export async function verifyPack(dir: string, publicKeyFile?: string): Promise<PackCheck> {
  const read = async (name: string): Promise<Buffer | undefined> => {
    try {
      return await readFile(join(dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fileError(join(dir, name), error);
    }
  };
  const problems: string[] = [];
  const checked: string[] = [];
  const manifestBytes = await read('manifest.json');
  if (!manifestBytes)
    throw fileError(join(dir, 'manifest.json'), Object.assign(new Error(), { code: 'ENOENT' }));
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as {
    files: { name: string; sha256: string; bytes: number }[];
  };

  // The key.
  let verifier: AuditVerifier | undefined;
  let keySource: string;
  if (publicKeyFile) {
    verifier = verifierOf([
      {
        pem: await readFile(publicKeyFile, 'utf8').catch((e) => {
          throw fileError(publicKeyFile, e);
        }),
        from: publicKeyFile,
      },
    ]);
    keySource = publicKeyFile;
  } else {
    const keys = JSON.parse((await read('public-keys.json'))?.toString('utf8') ?? '{}') as Record<
      string,
      string
    >;
    const pems = Object.values(keys).map((pem) => ({ pem, from: 'the pack’s public-keys.json' }));
    verifier = pems.length > 0 ? verifierOf(pems) : undefined;
    keySource =
      'the pack’s own public-keys.json (compare its key id with the one your organisation published, or pass --public-key)';
  }
  if (!verifier)
    problems.push('no public key: neither --public-key nor a key in the pack; signatures cannot be checked');

  // Files against the manifest.
  for (const f of manifest.files) {
    const bytes = await read(f.name);
    if (!bytes) problems.push(`${f.name} is listed in the manifest but missing`);
    else if (createHash('sha256').update(bytes).digest('hex') !== f.sha256)
      problems.push(`${f.name} does not match the SHA-256 in the manifest: it was changed after export`);
  }
  checked.push(`${manifest.files.length} files against the manifest`);
  const sig = await read('manifest.sig.json');
  if (sig) {
    const { keyId, signature } = JSON.parse(sig.toString('utf8')) as { keyId: string; signature: string };
    if (!verifier?.verify(manifestMessage(manifestBytes), signature, keyId))
      problems.push(
        `the manifest's signature does not verify with key ${keyId}: the manifest was changed after export`,
      );
    else checked.push(`the manifest's signature (key ${keyId})`);
  } else
    checked.push(
      'no manifest signature (the exporter did not hold the audit key): files are checked against the manifest, rows against their own signatures',
    );

  // The rows.
  const rowsText = (await read('audit-rows.jsonl'))?.toString('utf8') ?? '';
  const rows = rowsText
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as PackRow;
      } catch {
        problems.push(`audit-rows.jsonl line ${i + 1} is not JSON`);
        return undefined;
      }
    })
    .filter((r): r is PackRow => r !== undefined);
  let previous: PackRow | undefined;
  let signed = 0;
  for (const r of rows) {
    const where = `row seq ${r.seq} (position ${r.modelSeq})`;
    if (chainHash(r.prevHash, r.content) !== r.hash)
      problems.push(`${where}: its content does not match its hash`);
    if (previous && r.modelSeq === previous.modelSeq + 1 && r.prevHash !== previous.hash)
      problems.push(`${where}: does not link to the row before it`);
    if (previous && r.modelSeq !== previous.modelSeq + 1)
      problems.push(`${where}: follows position ${previous.modelSeq}; the rows between are not in the pack`);
    if (r.signature === null) problems.push(`${where}: has no signature`);
    else {
      signed++;
      if (verifier && !verifier.verify(rowMessage(r.hash), r.signature, r.keyId ?? ''))
        problems.push(`${where}: its signature does not verify with key ${r.keyId}`);
    }
    previous = r;
  }
  checked.push(`${rows.length} rows: hashes, links and ${signed} signatures`);

  // What evidence.json cites.
  const evidence = JSON.parse((await read('evidence.json'))?.toString('utf8') ?? '{}') as {
    timeline?: { seq: number; hash: string }[];
  };
  const bySeq = new Map(rows.map((r) => [r.seq, r.hash]));
  for (const ref of evidence.timeline ?? [])
    if (bySeq.get(ref.seq) !== ref.hash)
      problems.push(
        `evidence.json cites row seq ${ref.seq} with hash ${ref.hash.slice(0, 16)}…, which audit-rows.jsonl does not hold`,
      );
  checked.push(`${evidence.timeline?.length ?? 0} rows cited by evidence.json`);

  // Checkpoints.
  const checkpoints = JSON.parse((await read('checkpoints.json'))?.toString('utf8') ?? '[]') as Checkpoint[];
  for (const c of checkpoints) {
    const trust = checkpointTrust(c, verifier);
    if (trust !== 'signed') problems.push(`checkpoint at position ${c.modelSeq}: ${trust}`);
    const row = rows.find((r) => r.modelSeq === c.modelSeq);
    if (row && row.hash !== c.hash)
      problems.push(
        `checkpoint at position ${c.modelSeq} records hash ${c.hash.slice(0, 16)}…, the row in the pack has ${row.hash.slice(0, 16)}…`,
      );
  }
  checked.push(`${checkpoints.length} checkpoint(s)`);

  return {
    ok: problems.length === 0,
    problems,
    checked,
    keySource,
    keyIds: verifier ? [...verifier.keys.keys()] : [],
  };
}
