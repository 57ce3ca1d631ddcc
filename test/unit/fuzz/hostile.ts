// Hostile values: what a careless or malicious author, a broken monitoring
// system or an attacker on the network might hand ctpilot. Shared by the
// fuzz tests as fast-check arbitraries.
import fc from 'fast-check';

/** Strings crafted to break out of wherever they are put. */
export const INJECTIONS = [
  '"} or vector(1) #',
  "'} or vector(1) #",
  '`) or vector(1) #',
  '.*',
  '"}[5m])) or on() vector(1) or sum(rate(x{a="',
  '{{ policy.name }}',
  '{{',
  '}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference, not a JS template
  '${env:HOME}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference, not a JS template
  '${file:/etc/passwd}',
  "'; DROP TABLE ctpilot.audit_log; --",
  '\\',
  '\\"',
  '\u0000',
  '\u202e',
  '\ud800',
  '\n\r\t',
  '__proto__',
  'constructor',
  'a'.repeat(10_000),
  '../../etc/passwd',
  'http://user:pw@evil/',
  '<script>alert(1)</script>',
  'NaN',
  '-Infinity',
] as const;

/** Any string, biased towards injections, quotes, braces and control characters. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({
    unit: fc.constantFrom(
      '"',
      "'",
      '`',
      '{',
      '}',
      '(',
      ')',
      '[',
      ']',
      '\\',
      '\n',
      '#',
      '=',
      '~',
      '!',
      ',',
      'a',
      ' ',
      '$',
      ':',
    ),
    maxLength: 40,
  }),
  fc.tuple(fc.constantFrom(...INJECTIONS), fc.string({ maxLength: 8 })).map(([a, b]) => a + b),
);

/** Any JSON value, including the numbers JSON cannot carry once turned into text by hand. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e308, -1e308),
  fc.constantFrom(null, undefined, '', [], {}),
);
