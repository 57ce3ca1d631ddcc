// Local files for reader tests: the same readers as for S3, over file:// URIs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** A scratch folder removed after the test file; returns a writer that gives each file's file:// URI. */
export function scratch(): { dir: string; write(name: string, body: string | Uint8Array): string } {
  const dir = mkdtempSync(join(tmpdir(), 'ctpilot-windows-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, body) {
      const path = join(dir, name);
      writeFileSync(path, body);
      return `file://${path}`;
    },
  };
}

/** RFC 4180: every field quoted, quotes doubled. */
export function toCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return [header, ...rows].map((r) => r.map(q).join(',')).join('\r\n');
}
