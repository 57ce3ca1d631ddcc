// Secrets appear in policies only as references — `${env:NAME}` or
// `${file:/absolute/path}` — and are resolved when an activity needs them,
// never at load time: a policy file, its hash, its explanation and the
// workflow history hold the reference, not the value. Resolved values are
// wrapped in `Secret`, whose string, JSON and inspect forms are redacted, so
// a stray log line or error message cannot leak one.

// Node's util.inspect looks this symbol up; using it by name keeps this module free of Node imports.
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** A whole-string reference: the form required where a field is a secret. */
export const SECRET_REF = /^\$\{(env|file):([^}]*)\}$/;
/** References embedded in a longer string (URLs, header values). */
const EMBEDDED_REF = /\$\{(env|file):([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type SecretRef =
  | { readonly source: 'env'; readonly name: string }
  | { readonly source: 'file'; readonly path: string };

/** How to write a reference, quoted in errors. */
export const SECRET_FORMS =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: secret references, not JS templates
  '${env:NAME} (an environment variable of the worker) or ${file:/absolute/path} (a mounted file)';

/** Why `ref` (the text inside `${…}`) is not a valid reference, or undefined. */
export function secretRefProblem(kind: string, body: string): string | undefined {
  if (kind === 'env' && !ENV_NAME.test(body)) {
    return `\`${body}\` is not an environment variable name (letters, digits and _, not starting with a digit)`;
  }
  if (kind === 'file' && !body.startsWith('/')) return `\`${body}\` is not an absolute path`;
  return undefined;
}

export function parseSecretRef(text: string): SecretRef | undefined {
  const m = SECRET_REF.exec(text);
  if (!m) return undefined;
  const [, kind, body] = m as unknown as [string, 'env' | 'file', string];
  if (secretRefProblem(kind, body)) return undefined;
  return kind === 'env' ? { source: 'env', name: body } : { source: 'file', path: body };
}

/** Every reference inside a string, with its offset (for validation of URLs and headers). */
export function findSecretRefs(text: string): { kind: string; body: string; offset: number }[] {
  return [...text.matchAll(EMBEDDED_REF)].map((m) => ({
    kind: m[1] as string,
    body: m[2] as string,
    offset: m.index ?? 0,
  }));
}

/** True when a string contains a reference (so it must be resolved before use). */
export function hasSecretRef(text: string): boolean {
  return findSecretRefs(text).length > 0;
}

const REDACTED = '[redacted]';

/** A resolved secret. Only `reveal()` gives the value; every printable form is redacted. */
export class Secret {
  readonly #value: string;
  /** The reference it came from, safe to print. */
  readonly from: string;
  constructor(value: string, from: string) {
    this.#value = value;
    this.from = from;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [INSPECT](): string {
    return `Secret(${this.from})`;
  }
}

/** Where secrets come from; injected so this module stays free of I/O (see `files.ts`). */
export interface SecretSources {
  env(name: string): string | undefined;
  readFile(path: string): Promise<string>;
}

/** Thrown when a reference cannot be resolved; the message names the reference, never a value. */
export class SecretResolutionError extends Error {
  readonly reference: string;
  constructor(reference: string, reason: string) {
    super(`cannot resolve ${reference}: ${reason}`);
    this.name = 'SecretResolutionError';
    this.reference = reference;
  }
}

export interface SecretResolver {
  /** Resolve a string that is exactly one reference. */
  resolve(reference: string): Promise<Secret>;
  /** Resolve every reference embedded in a string (a URL with a token in it); the whole result is secret. */
  interpolate(text: string): Promise<Secret>;
}

export function createSecretResolver(sources: SecretSources): SecretResolver {
  async function lookup(kind: string, body: string, reference: string): Promise<string> {
    const problem = secretRefProblem(kind, body);
    if (problem) throw new SecretResolutionError(reference, problem);
    if (kind === 'env') {
      const v = sources.env(body);
      if (v === undefined)
        throw new SecretResolutionError(reference, `environment variable ${body} is not set on the worker`);
      return v;
    }
    try {
      // A trailing newline is how editors and `kubectl create secret` leave files; it is never part of a token.
      return (await sources.readFile(body)).replace(/\r?\n$/, '');
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new SecretResolutionError(
        reference,
        code === 'ENOENT' ? `file ${body} does not exist` : `cannot read ${body} (${code ?? 'error'})`,
      );
    }
  }
  return {
    async resolve(reference) {
      const m = SECRET_REF.exec(reference);
      if (!m) throw new SecretResolutionError(reference, `not a reference; write ${SECRET_FORMS}`);
      return new Secret(await lookup(m[1] as string, m[2] as string, reference), reference);
    },
    async interpolate(text) {
      let out = '';
      let at = 0;
      for (const r of findSecretRefs(text)) {
        const reference = `\${${r.kind}:${r.body}}`;
        out += text.slice(at, r.offset) + (await lookup(r.kind, r.body, reference));
        at = r.offset + reference.length;
      }
      return new Secret(out + text.slice(at), text);
    },
  };
}
