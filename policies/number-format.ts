// How numbers appear in explanations, decisions and the CLI: integers as
// they are, other values to six significant digits. Its own module so the
// CLI's read-only verbs print decisions without loading the policy schema.

export function fmt(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(6)));
}
