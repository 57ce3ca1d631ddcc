// The files of an evidence pack, and where they go: a local directory or an
// S3 prefix. The pack is the JSON data, the HTML summary, the period's audit
// rows exactly as stored (so anyone can recompute each hash), an optional
// PDF, and a manifest with the SHA-256 of every file.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { AuditRow } from '../audit/chain.ts';
import type { Checkpoint } from '../audit/checkpoints.ts';
import type { AuditSigner } from '../audit/signing.ts';
import { ObjectNotFoundError, type ObjectStore } from '../s3/client.ts';
import type { EvidencePack } from './pack.ts';

export interface PackFile {
  readonly name: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

export interface ManifestEntry {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const utf8 = (text: string) => new TextEncoder().encode(text);

/** What a manifest's signature signs: its exact bytes. */
export function manifestMessage(manifestBytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from('ctpilot-evidence-manifest/v1\n', 'utf8'), Buffer.from(manifestBytes)]);
}

export interface PackSigning {
  /** The model's checkpoints, copied in so an auditor can check them with the pack's public key. */
  readonly checkpoints?: readonly Checkpoint[];
  /** Signs the manifest when the exporter holds the audit key (the rows are signed by the worker either way). */
  readonly signer?: AuditSigner;
}

/** The pack's files, the manifest last (it lists the others), then its signature when there is a key. */
export function packFiles(
  pack: EvidencePack,
  periodRows: readonly AuditRow[],
  html: string,
  extra: readonly PackFile[] = [],
  signing: PackSigning = {},
): PackFile[] {
  const rows = periodRows.map((r) =>
    JSON.stringify({
      seq: r.seq,
      model: r.model,
      modelSeq: r.modelSeq,
      recordedAt: r.recordedAt,
      policy: r.policy,
      policyVersion: r.policyVersion ?? null,
      workflowId: r.workflowId,
      workflowRun: r.workflowRun ?? null,
      mlflowRunId: r.mlflowRunId ?? null,
      step: r.step,
      kind: r.kind,
      outcome: r.outcome,
      content: r.content,
      prevHash: r.prevHash,
      hash: r.hash,
      signature: r.signature ?? null,
      keyId: r.keyId ?? null,
    }),
  );
  const files: PackFile[] = [
    {
      name: 'evidence.json',
      contentType: 'application/json',
      bytes: utf8(`${JSON.stringify(pack, null, 2)}\n`),
    },
    { name: 'index.html', contentType: 'text/html; charset=utf-8', bytes: utf8(html) },
    {
      name: 'audit-rows.jsonl',
      contentType: 'application/x-ndjson',
      bytes: utf8(rows.length ? `${rows.join('\n')}\n` : ''),
    },
    {
      name: 'public-keys.json',
      contentType: 'application/json',
      bytes: utf8(`${JSON.stringify(pack.verification.anchors?.publicKeys ?? {}, null, 2)}\n`),
    },
    {
      name: 'checkpoints.json',
      contentType: 'application/json',
      bytes: utf8(`${JSON.stringify(signing.checkpoints ?? [], null, 2)}\n`),
    },
    ...extra,
  ];
  const manifest = {
    format: pack.format,
    model: pack.model,
    period: pack.period,
    generatedAt: pack.generatedAt,
    chain: { ok: pack.verification.ok, head: pack.verification.head },
    hashing: 'audit row hash = sha256(prevHash + "\\n" + content), hex; see docs/cli.md',
    signing:
      'row signature = Ed25519 over "ctpilot-audit-row/v1\\n" + hash (base64), key in public-keys.json by keyId; check offline with `ctpilot audit verify --pack <dir> --public-key <published key>`',
    anchors: pack.verification.anchors?.used ?? [],
    files: files.map(
      (f): ManifestEntry => ({ name: f.name, bytes: f.bytes.byteLength, sha256: sha256(f.bytes) }),
    ),
  };
  const manifestBytes = utf8(`${JSON.stringify(manifest, null, 2)}\n`);
  files.push({ name: 'manifest.json', contentType: 'application/json', bytes: manifestBytes });
  if (signing.signer)
    files.push({
      name: 'manifest.sig.json',
      contentType: 'application/json',
      bytes: utf8(
        `${JSON.stringify({ keyId: signing.signer.keyId, signature: signing.signer.sign(manifestMessage(manifestBytes)) }, null, 2)}\n`,
      ),
    });
  return files;
}

export class PackDestinationError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'PackDestinationError';
  }
}

/** Writes into a new or empty directory: a pack never mixes with an older one. */
export async function writeToDirectory(dir: string, files: readonly PackFile[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const existing = await readdir(dir);
  if (existing.length > 0)
    throw new PackDestinationError(
      `${dir} is not empty (${existing.length} entries)`,
      'give --out a new directory; a pack is never written over another',
    );
  const written: string[] = [];
  for (const f of files) {
    const path = join(dir, f.name);
    await writeFile(path, f.bytes, { flag: 'wx' });
    written.push(path);
  }
  return written;
}

/** Writes under an S3 prefix (`s3://bucket/prefix`); refuses a prefix that already holds a manifest. */
export async function writeToS3(
  store: ObjectStore,
  uri: string,
  files: readonly PackFile[],
): Promise<string[]> {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new PackDestinationError(`not an S3 location: ${uri}`, 'write it as s3://bucket/prefix');
  const bucket = m[1]!;
  const prefix = m[2]!.replace(/\/+$/, '');
  const key = (name: string) => (prefix ? `${prefix}/${name}` : name);
  const manifest = `s3://${bucket}/${key('manifest.json')}`;
  const exists = await store.head(manifest).then(
    () => true,
    (error: unknown) => {
      if (error instanceof ObjectNotFoundError) return false;
      throw error;
    },
  );
  if (exists)
    throw new PackDestinationError(
      `${manifest} exists: a pack was already written there`,
      'give --out a new prefix; a pack is never written over another',
    );
  const written: string[] = [];
  // The manifest last: its presence says the pack is complete.
  for (const f of files) {
    await store.put(`s3://${bucket}/${key(f.name)}`, f.bytes, f.contentType);
    written.push(`s3://${bucket}/${key(f.name)}`);
  }
  return written;
}

/** A headless Chromium or Chrome: CTPILOT_CHROMIUM, else the usual names on PATH. */
export async function findBrowser(
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | undefined> {
  const candidates = env.CTPILOT_CHROMIUM
    ? [env.CTPILOT_CHROMIUM]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .flatMap((dir) =>
          ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'].map((n) =>
            join(dir, n),
          ),
        );
  for (const c of candidates) {
    try {
      await access(c);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Prints an HTML file to PDF with the browser's own print engine. */
export async function printPdf(
  browser: string,
  htmlPath: string,
  pdfPath: string,
  timeoutMs = 60_000,
): Promise<void> {
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-pdf-header-footer',
    `--print-to-pdf=${pdfPath}`,
    `file://${htmlPath}`,
  ];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(browser, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${browser} exited ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        );
    });
  });
}
