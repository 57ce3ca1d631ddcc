// Signatures on the audit history: each row's hash (which commits to its
// content and, through prev_hash, to every row before it) is signed with an
// Ed25519 key the database never holds. Anyone with the public key can check
// a row; only the worker that holds the private key can write one that
// checks. So a row forged, recomputed or re-chained by someone with the
// database's credentials — the app role or a superuser — no longer verifies.
//
// Keys are PEM: the private key PKCS#8, the public key SPKI. A key's id is
// the first 16 hex digits of the SHA-256 of its public key's DER, so rows,
// checkpoints and packs say which key signed them (rotation: several public
// keys may be known at once).
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

/** What is signed for a row: the format tag, then the row's chain hash. */
export function rowMessage(hash: string): Buffer {
  return Buffer.from(`ctpilot-audit-row/v1\n${hash}`, 'utf8');
}

export interface AuditSigner {
  readonly keyId: string;
  readonly publicKeyPem: string;
  /** Base64 Ed25519 signature of the message. */
  sign(message: Buffer): string;
}

export interface AuditVerifier {
  /** Key ids known, with their public keys in PEM. */
  readonly keys: ReadonlyMap<string, string>;
  /** True when `signature` is a valid signature of `message` by the key `keyId`. */
  verify(message: Buffer, signature: string, keyId: string): boolean;
}

/** A bad key: says which and why, never the key itself. */
export class AuditKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditKeyError';
  }
}

export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

function ed25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519')
    throw new AuditKeyError(
      `${what} is a ${key.asymmetricKeyType ?? 'symmetric'} key; the audit history is signed with Ed25519`,
    );
  return key;
}

export function signerFromPem(privateKeyPem: string, from: string): AuditSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (error) {
    throw new AuditKeyError(`${from} is not a PEM private key: ${(error as Error).message}`);
  }
  ed25519(key, from);
  const publicKey = createPublicKey(key);
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (message) => sign(null, message, key).toString('base64'),
  };
}

export function publicKeyFromPem(pem: string, from: string): { keyId: string; key: KeyObject; pem: string } {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new AuditKeyError(`${from} is not a PEM public key: ${(error as Error).message}`);
  }
  ed25519(key, from);
  return { keyId: keyIdOf(key), key, pem: key.export({ type: 'spki', format: 'pem' }).toString() };
}

export function verifierOf(publicKeysPem: readonly { pem: string; from: string }[]): AuditVerifier {
  const byId = new Map<string, KeyObject>();
  const pems = new Map<string, string>();
  for (const { pem, from } of publicKeysPem) {
    const k = publicKeyFromPem(pem, from);
    byId.set(k.keyId, k.key);
    pems.set(k.keyId, k.pem);
  }
  return {
    keys: pems,
    verify(message, signature, keyId) {
      const key = byId.get(keyId);
      if (!key) return false;
      try {
        return verify(null, message, key, Buffer.from(signature, 'base64'));
      } catch {
        return false;
      }
    },
  };
}
