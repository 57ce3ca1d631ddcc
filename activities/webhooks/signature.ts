// Signing of ctpilot's outbound webhooks (notifications, deploy hooks,
// training launch requests) and verification of signed inbound ones.
//
//   X-Ctpilot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//
// The timestamp is inside the signed text, so a captured request cannot be
// replayed outside the tolerance window (5 minutes by default).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Ctpilot-Signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signatureFor(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

export function signBody(secret: string, body: string, now: Date = new Date()): string {
  return signatureFor(secret, body, Math.floor(now.getTime() / 1000));
}

export type SignatureCheck =
  | { readonly ok: true; readonly timestamp: number }
  | {
      readonly ok: false;
      readonly reason: 'missing' | 'malformed' | 'stale' | 'mismatch';
      readonly message: string;
    };

/** Checks a signature header against the raw body; never throws. */
export function verifySignature(
  secret: string,
  body: string,
  header: string | undefined,
  {
    now = new Date(),
    toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
  }: { now?: Date; toleranceSeconds?: number } = {},
): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing', message: `no ${SIGNATURE_HEADER} header` };
  const parts = Object.fromEntries(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return at < 0 ? [part.trim(), ''] : [part.slice(0, at).trim(), part.slice(at + 1).trim()];
    }),
  );
  const timestamp = Number(parts.t);
  const given = parts.v1 ?? '';
  if (!Number.isInteger(timestamp) || !/^[0-9a-f]{64}$/.test(given)) {
    return {
      ok: false,
      reason: 'malformed',
      message: `${SIGNATURE_HEADER} must be t=<unix seconds>,v1=<64 hex digits>`,
    };
  }
  const age = Math.abs(now.getTime() / 1000 - timestamp);
  if (age > toleranceSeconds) {
    return {
      ok: false,
      reason: 'stale',
      message: `signature timestamp is ${Math.round(age)} s away from now (tolerance ${toleranceSeconds} s)`,
    };
  }
  const expected = Buffer.from(signatureFor(secret, body, timestamp).split('v1=')[1]!, 'hex');
  if (!timingSafeEqual(expected, Buffer.from(given, 'hex'))) {
    return { ok: false, reason: 'mismatch', message: 'signature does not match the body' };
  }
  return { ok: true, timestamp };
}
