// The audit keys from the configuration: the worker's signing key (a
// reference, resolved here — it never enters a policy, a history or a row)
// and the public keys rows may be verified with. Read synchronously at
// start: a worker whose configured key cannot be read must not start.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSecretRef } from '../../policies/secrets.ts';
import { type AuditConfig, LOCAL_AUDIT_KEY, LOCAL_AUDIT_PUBLIC_KEY } from '../../workers/config.ts';
import { AuditKeyError, type AuditSigner, type AuditVerifier, signerFromPem, verifierOf } from './signing.ts';

export interface AuditKeys {
  readonly signer?: AuditSigner;
  /** Every public key known: the signer's and CTPILOT_AUDIT_PUBLIC_KEYS. Undefined when none is. */
  readonly verifier?: AuditVerifier;
  /** Why a configured key could not be used (the worker refuses to start; verify says so). */
  readonly problems: readonly string[];
}

function readReference(reference: string, env: NodeJS.ProcessEnv): string {
  const ref = parseSecretRef(reference);
  if (!ref) throw new AuditKeyError(`${reference} is not a \${env:NAME} or \${file:/path} reference`);
  if (ref.source === 'env') {
    const value = env[ref.name];
    if (!value) throw new AuditKeyError(`the audit signing key ${reference}: ${ref.name} is not set`);
    return value;
  }
  try {
    return readFileSync(ref.path, 'utf8');
  } catch (error) {
    throw new AuditKeyError(`the audit signing key ${reference} cannot be read: ${(error as Error).message}`);
  }
}

export function loadAuditKeys(audit: AuditConfig, env: NodeJS.ProcessEnv = process.env): AuditKeys {
  const problems: string[] = [];
  let signer: AuditSigner | undefined;
  if (audit.signingKey) {
    try {
      signer = signerFromPem(readReference(audit.signingKey, env), audit.signingKey);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  const publics: { pem: string; from: string }[] = signer
    ? [{ pem: signer.publicKeyPem, from: 'the signing key' }]
    : [];
  for (const file of audit.publicKeys) {
    try {
      publics.push({ pem: readFileSync(file, 'utf8'), from: file });
    } catch (error) {
      problems.push(`the audit public key ${file} cannot be read: ${(error as Error).message}`);
    }
  }
  let verifier: AuditVerifier | undefined;
  try {
    verifier = publics.length > 0 ? verifierOf(publics) : undefined;
  } catch (error) {
    problems.push((error as Error).message);
  }
  return { ...(signer ? { signer } : {}), ...(verifier ? { verifier } : {}), problems };
}

/**
 * The local stack's key pair, made once in the home (the private key 0600):
 * with nothing configured, `npm start` signs its audit history too. A real
 * deployment gives the worker its key from a secret store instead
 * (CTPILOT_AUDIT_SIGNING_KEY) and publishes the public key to auditors.
 */
export function ensureLocalAuditKey(home: string): { created: boolean; publicKeyFile: string } {
  mkdirSync(home, { recursive: true });
  const privateFile = join(home, LOCAL_AUDIT_KEY);
  const publicFile = join(home, LOCAL_AUDIT_PUBLIC_KEY);
  if (existsSync(privateFile)) {
    if (!existsSync(publicFile)) {
      const signer = signerFromPem(readFileSync(privateFile, 'utf8'), privateFile);
      writeFileSync(publicFile, signer.publicKeyPem);
    }
    return { created: false, publicKeyFile: publicFile };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
    flag: 'wx',
  });
  writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return { created: true, publicKeyFile: publicFile };
}
