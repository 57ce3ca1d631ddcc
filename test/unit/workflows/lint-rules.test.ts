// The lint rules that keep workflow code deterministic, run by the project's
// own Biome on probe files laid out like the project (a copy of biome.json and
// infra/lint in a scratch directory), so the rules are proved to fire, not
// just configured.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const biome = join(root, 'node_modules', '.bin', 'biome');

interface Diagnostic {
  readonly file: string;
  readonly message: string;
}

describe('lint rules for workflow code', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ctpilot-lint-'));
    const config = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8'));
    config.$schema = undefined;
    config.vcs = { enabled: false }; // the scratch directory is no git checkout
    writeFileSync(join(dir, 'biome.json'), JSON.stringify(config));
    cpSync(join(root, 'infra', 'lint'), join(dir, 'infra', 'lint'), { recursive: true });
    mkdirSync(join(dir, 'workflows'));
    mkdirSync(join(dir, 'activities'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Lints the given files (path → source) and returns the diagnostics. */
  function lint(files: Record<string, string>): Diagnostic[] {
    for (const [path, source] of Object.entries(files)) writeFileSync(join(dir, path), source);
    const run = spawnSync(
      biome,
      ['lint', '--reporter=json', '--max-diagnostics=200', ...Object.keys(files)],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    const jsonLine = run.stdout.split('\n').find((line) => line.startsWith('{'));
    assert.ok(jsonLine, `biome printed a JSON report (stderr: ${run.stderr})`);
    const report = JSON.parse(jsonLine) as {
      diagnostics: Array<{
        location: { path: { file: string } | string };
        message: string;
        description?: string;
      }>;
    };
    return report.diagnostics.map((d) => ({
      file: typeof d.location.path === 'string' ? d.location.path : d.location.path.file,
      message: d.description ?? d.message,
    }));
  }

  it('refuses the bare clock in workflow files, and allows it in workflow-time.ts and outside workflows', () => {
    const clock = 'export const a = Date.now();\nexport const b = new Date();\n';
    const diagnostics = lint({
      'workflows/probe.ts': clock,
      'workflows/workflow-time.ts': clock,
      'activities/probe.ts': clock,
    });
    const clockDiagnostics = diagnostics.filter((d) => /workflowNowMs/.test(d.message));
    assert.deepEqual(
      clockDiagnostics.map((d) => d.file),
      ['workflows/probe.ts', 'workflows/probe.ts'],
      JSON.stringify(diagnostics),
    );
  });

  it('lets workflow files build dates from values (new Date(ms), Date.parse)', () => {
    const diagnostics = lint({
      'workflows/values.ts':
        "export const a = new Date(0).toISOString();\nexport const b = Date.parse('2026-01-01');\n",
    });
    assert.deepEqual(diagnostics, []);
  });

  it('refuses activity implementations and Node built-ins in workflow files', () => {
    const diagnostics = lint({
      'workflows/imports.ts':
        "import { evaluate } from '../activities/evaluate.ts';\nimport { readFileSync } from 'node:fs';\nexport const x = [evaluate, readFileSync];\n",
    });
    assert.ok(
      diagnostics.some((d) => /import type/.test(d.message)),
      `activity implementation refused: ${JSON.stringify(diagnostics)}`,
    );
    assert.ok(
      diagnostics.some((d) => /Node\.js|node:fs|builtin/i.test(d.message)),
      `Node built-in refused: ${JSON.stringify(diagnostics)}`,
    );
  });
});
