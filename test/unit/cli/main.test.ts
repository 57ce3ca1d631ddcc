import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadCommands } from '../../../cli/commands/index.ts';
import { ctpilot, root } from './helpers.ts';

describe('ctpilot entry point', () => {
  it('every verb has a summary, described flags and args, and examples in --help', async () => {
    for (const spec of await loadCommands()) {
      assert.ok(spec.summary && spec.description, spec.name);
      assert.ok(spec.examples.length >= 2, `${spec.name} needs examples`);
      for (const f of spec.flags) assert.ok(f.description, `${spec.name} --${f.name}`);
      for (const a of spec.args) assert.ok(a.description, `${spec.name} <${a.name}>`);
      assert.ok(
        spec.flags.some((f) => f.name === 'json'),
        `${spec.name} has no --json`,
      );
      const r = await ctpilot([spec.name, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`Usage: ctpilot ${spec.name}`));
      assert.match(r.stdout, /Examples:\n {2}\$ ctpilot /);
      assert.match(r.stdout, /Exit codes:\n {2}0 {3}ok\n {2}1 {3}a check failed/);
    }
  });

  it('no arguments prints help and exits 2', async () => {
    const r = await ctpilot([]);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /Usage: ctpilot \[options\] \[command\]/);
  });

  it('an unknown verb or flag is a usage error (exit 2) with a suggestion', async () => {
    const verb = await ctpilot(['valdate', 'x']);
    assert.equal(verb.code, 2);
    assert.match(verb.stderr, /unknown command 'valdate'\n\(Did you mean validate\?\)/);
    const flag = await ctpilot(['validate', '--jsn', 'x']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option '--jsn'\n\(Did you mean --json\?\)/);
    const missing = await ctpilot(['explain']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'file'/);
  });

  it('--version prints the version', async () => {
    const r = await ctpilot(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version}\n`);
  });

  it('colours only on a terminal, never with NO_COLOR or --no-color, and with FORCE_COLOR', async () => {
    const file = 'test/fixtures/policies/broken/for-zero.yaml';
    const esc = '\u001b[';
    assert.ok(!(await ctpilot(['validate', file])).stdout.includes(esc));
    assert.ok((await ctpilot(['validate', file], { tty: true })).stdout.includes(esc));
    assert.ok(
      !(await ctpilot(['validate', file], { tty: true, env: { NO_COLOR: '1' } })).stdout.includes(esc),
    );
    assert.ok(!(await ctpilot(['--no-color', 'validate', file], { tty: true })).stdout.includes(esc));
    assert.ok((await ctpilot(['validate', file], { env: { FORCE_COLOR: '1' } })).stdout.includes(esc));
  });

  it('an internal fault is reported as a bug with its stack (exit 70)', async () => {
    const spec = (await loadCommands()).find((c) => c.name === 'schema');
    assert.ok(spec);
    const original = spec.run;
    (spec as { run: typeof spec.run }).run = async () => {
      throw new TypeError('boom');
    };
    try {
      const r = await ctpilot(['schema']);
      assert.equal(r.code, 70);
      assert.match(
        r.stderr,
        /^internal error: this is a bug in ctpilot, please report it at https:\/\/\S+\nwith the command you ran and this trace:\n\nTypeError: boom\n {4}at /,
      );
    } finally {
      (spec as { run: typeof spec.run }).run = original;
    }
  });

  it('the bin runs without a build step and returns real exit codes', () => {
    const ok = spawnSync(process.execPath, ['cli/bin.mjs', 'validate', 'policies/examples'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(ok.status, 0, ok.stderr);
    const bad = spawnSync(process.execPath, ['cli/bin.mjs', 'validate', 'test/fixtures/policies/broken'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(bad.status, 1, bad.stderr);
    const usage = spawnSync(process.execPath, ['cli/bin.mjs', 'validate', 'missing.yaml'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /cannot read missing\.yaml/);
  });
});
