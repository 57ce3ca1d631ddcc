// The signed deploy hook the example's server accepts (POST /admin/reload),
// from the sender's side. The Python receiver is
// support_tickets/simulator/signature.py; the README states the scheme.
import { createHmac } from 'node:crypto';

export const DEPLOY_HOOK = {
  path: '/admin/reload',
  header: 'X-Ctpilot-Signature',
  /** The receiver reads its shared secret from this variable. */
  secretVariable: 'CTPILOT_DEPLOY_HOOK_SECRET',
  /** A signature older or newer than this is refused (401). */
  toleranceSeconds: 300,
} as const;

/** What ctpilot sends: all fields optional; `version`, when given, must be what the alias names. */
export interface DeployHookBody {
  readonly model?: string;
  readonly alias?: string;
  readonly version?: string;
  readonly previousVersion?: string;
  readonly reason?: string;
}

/**
 * The header value for a body: `t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>">`.
 * Sign the exact bytes you send; re-serialising the JSON afterwards breaks the signature.
 */
export function signDeployHook(
  secret: string,
  body: string | Uint8Array,
  timestamp = Math.floor(Date.now() / 1000),
): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(body);
  return `t=${timestamp},v1=${mac.digest('hex')}`;
}
