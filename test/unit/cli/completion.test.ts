// The completion scripts, run by the shells themselves: bash's completion
// function is called with the words typed so far and must offer the verbs,
// a verb's flags, a flag's choices, an action, and files; zsh must load its
// script. Generated from the verb specs, so a new flag completes by itself.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../support/temp-dir.ts';
import { ctpilot, root } from './helpers.ts';

function bashComplete(script: string, words: string[]): string[] {
  const line = words.map((w) => `'${w}'`).join(' ');
  const program = `${script}
COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}
_ctpilot
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '-c', program], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

describe('ctpilot completion', () => {
  it('bash: verbs, flags, a flag’s choices, actions and files', async () => {
    const r = await ctpilot(['completion', 'bash']);
    assert.equal(r.code, 0, r.stderr);
    const script = r.stdout;
    assert.deepEqual(bashComplete(script, ['ctpilot', 'st']), ['status']);
    assert.ok(bashComplete(script, ['ctpilot', '']).includes('demo'));
    assert.deepEqual(bashComplete(script, ['ctpilot', 'audit', 'v']), ['verify']);
    assert.deepEqual(bashComplete(script, ['ctpilot', 'demo', 'dr']), ['drift']);
    assert.deepEqual(bashComplete(script, ['ctpilot', 'schema', '--draft', '']), ['7', '2020-12']);
    assert.ok(bashComplete(script, ['ctpilot', 'backtest', 'p.yaml', '--']).includes('--champion-version'));
    assert.deepEqual(bashComplete(script, ['ctpilot', 'validate', 'policies/examples/fraud-s']), [
      'policies/examples/fraud-slo.yaml',
    ]);
    // A flag that takes a value other than a file: nothing is guessed.
    assert.deepEqual(bashComplete(script, ['ctpilot', 'pause', 'p', '--reason', '']), []);
  });

  it('zsh: the script loads and defines the completion function', {
    skip: existsSync('/usr/bin/zsh') ? false : 'zsh not installed (npm run bootstrap installs it as root)',
  }, async (t) => {
    const r = await ctpilot(['completion', 'zsh']);
    assert.equal(r.code, 0, r.stderr);
    const file = join(tempDir(t, 'ctpilot-zsh'), '_ctpilot');
    writeFileSync(file, r.stdout);
    const checked = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    assert.equal(checked.status, 0, checked.stderr);
    const loaded = spawnSync(
      'zsh',
      [
        '-f',
        '-c',
        `autoload -Uz compinit && compinit -u -D && source ${file} && whence -w _ctpilot && echo $_comps[ctpilot]`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.match(loaded.stdout, /_ctpilot: function\n_ctpilot/);
  });

  it('an unknown shell is a usage error', async () => {
    const r = await ctpilot(['completion', 'fish']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no completion for "fish"\nfix: use one of: bash, zsh/);
  });
});
