// The operator verbs' pure parts and their usage errors, which need no
// services: label selectors, relative times, the operator's name and reason,
// and replay of saved histories (the workflow bundle, no server).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { essentialMessage } from '../../../cli/commands/replay.ts';
import { UserError } from '../../../cli/lib/errors.ts';
import { relative, shortHash } from '../../../cli/lib/format.ts';
import { matches, parseSelector } from '../../../cli/lib/label-selector.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { ctpilot } from './helpers.ts';

describe('label selectors', () => {
  const labels = { tier: 'critical', team: 'risk', 'ctpilot.io/template': 'fleet' };
  const sel = (text: string) => matches(parseSelector(text), labels);

  it('key=value, key!=value, key and !key, all of them must hold', () => {
    assert.equal(sel('tier=critical'), true);
    assert.equal(sel('tier==critical'), true);
    assert.equal(sel('tier=standard'), false);
    assert.equal(sel('tier!=standard'), true);
    assert.equal(sel('owner!=x'), true, 'a missing label is not equal to anything');
    assert.equal(sel('team'), true);
    assert.equal(sel('!team'), false);
    assert.equal(sel('!owner'), true);
    assert.equal(sel('tier=critical, team=risk'), true);
    assert.equal(sel('tier=critical,team=search'), false);
    assert.equal(sel('ctpilot.io/template=fleet'), true);
  });

  it('a malformed selector is a usage error that shows the forms', () => {
    for (const bad of ['', ',', 'a b=c', '=x', 'tier=critical,@x']) {
      assert.throws(
        () => parseSelector(bad),
        (e: unknown) => e instanceof UserError && /key=value/.test(`${e.message} ${e.fix}`),
        bad,
      );
    }
  });
});

describe('formatting', () => {
  it('relative times read like a person says them', () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    assert.equal(relative('2026-06-01T11:57:00Z', now), '3m ago');
    assert.equal(relative('2026-06-01T14:00:00Z', now), 'in 2h');
    assert.equal(relative('2026-06-01T13:30:00Z', now), 'in 1h30m');
    assert.equal(relative('2026-05-29T12:00:00Z', now), '3d ago');
    assert.equal(relative('2026-06-01T12:00:00.400Z', now), 'now');
    assert.equal(relative(null, now), '—');
    assert.equal(shortHash(`sha256:${'ab'.repeat(32)}`), 'sha256:abababababab');
  });

  it('a replay failure is reduced to the core’s sentence', () => {
    const sdk =
      'Replay failed with a nondeterminism error. Details: Failure { failure: Some(Failure { message: "[TMPRL1100] Nondeterminism error: Activity type of scheduled event \'x\' does not match activity type of activity command \'y\'", source: "" }) }';
    assert.equal(
      essentialMessage(sdk),
      "[TMPRL1100] Nondeterminism error: Activity type of scheduled event 'x' does not match activity type of activity command 'y'",
    );
    assert.equal(essentialMessage('plain\nmore'), 'plain');
  });
});

describe('flags', () => {
  // commander takes a verb's --version as the program's own: `ctpilot approve p --version 7` printed 0.1.0 and exited 0.
  const RESERVED = ['version', 'help', 'color', 'noColor'];
  const offenders = async (verbs: (name: string) => boolean) => {
    const commands = await (await import('../../../cli/commands/index.ts')).loadCommands();
    return commands
      .filter((spec) => verbs(spec.name))
      .flatMap((spec) =>
        spec.flags.filter((f) => RESERVED.includes(f.name)).map((f) => `${spec.name} --${f.name}`),
      );
  };

  it('no verb declares a flag the program itself takes (--version, --help, --color)', async () => {
    assert.deepEqual(await offenders(() => true), []);
  });
});

describe('operator verbs: usage errors need no services (exit 2, with the fix)', () => {
  const env = { USER: 'alice' };

  it('pause and reject need a reason; rollback too', async () => {
    for (const argv of [
      ['pause', 'p'],
      ['reject', 'p'],
      ['rollback', 'p'],
      ['pause', 'p', '--reason', '  '],
    ]) {
      const r = await ctpilot(argv, { env });
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.stderr, /needs a reason\nfix: add --reason/);
    }
  });

  it('who is asking: --by, else $USER; neither is a usage error', async () => {
    const r = await ctpilot(['pause', 'p', '--reason', 'x'], { env: {} });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /who is asking\? \$USER is not set and --by was not given\nfix: add --by/);
  });

  it('bad flag values say what they accept', async () => {
    const t = await ctpilot(['evaluate', 'p', '--timeout', 'soon'], { env });
    assert.equal(t.code, 2);
    assert.match(t.stderr, /--timeout must be a duration/);
    const l = await ctpilot(['history', 'p', '--limit', '0'], { env });
    assert.equal(l.code, 2);
    const s = await ctpilot(['list', '-l', 'tier critical'], { env });
    assert.equal(s.code, 2);
    assert.match(s.stderr, /not a label selector/);
    const m = await ctpilot(['list', '--model', "x' OR 1=1"], { env });
    assert.equal(m.code, 2);
    assert.match(m.stderr, /--model cannot contain quotes/);
    const e = await ctpilot(['audit', 'export'], { env });
    assert.equal(e.code, 2);
    assert.match(e.stderr, /audit export needs --model/);
    const p = await ctpilot(['audit', 'export', '--model', 'm', '--from', '1h', '--to', '2h'], { env });
    assert.equal(p.code, 2);
    assert.match(p.stderr, /the period is empty/);
  });

  it('replay needs a workflow id or --history, not both', async (t) => {
    assert.equal((await ctpilot(['replay'], { env })).code, 2);
    assert.equal((await ctpilot(['replay', 'policy:x', '--history', 'h.json'], { env })).code, 2);
    const missing = await ctpilot(['replay', '--history', 'no/such/history.json'], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read no\/such\/history\.json/);
    const dir = tempDir(t, 'ctpilot-replay');
    writeFileSync(join(dir, 'not-history.json'), '{"a":1}');
    const notHistory = await ctpilot(['replay', '--history', join(dir, 'not-history.json')], { env });
    assert.equal(notHistory.code, 2);
    assert.match(notHistory.stderr, /not a workflow history[\s\S]*temporal workflow show/);
  });
});

describe('ctpilot replay of saved histories (no server: the workflow bundle only)', () => {
  it('a recorded history replays deterministically (exit 0); one the code cannot follow exits 1 and says where', async (t) => {
    const ok = await ctpilot(['replay', '--json', '--history', 'test/histories/retrain-failed.json']);
    assert.equal(ok.code, 0, ok.stderr);
    const okJson = JSON.parse(ok.stdout) as { ok: boolean; replays: Array<{ ok: boolean; events: number }> };
    assert.equal(okJson.ok, true);
    assert.ok(okJson.replays[0]!.events > 10);

    // The recorded retrain, with its first activity renamed: the code schedules another activity than the history says.
    const history = JSON.parse(readFileSync('test/histories/retrain-failed.json', 'utf8')) as {
      events: Array<{ activityTaskScheduledEventAttributes?: { activityType: { name: string } } }>;
    };
    const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes)!;
    const original = scheduled.activityTaskScheduledEventAttributes!.activityType.name;
    scheduled.activityTaskScheduledEventAttributes!.activityType.name = 'somethingElse';
    const dir = tempDir(t, 'ctpilot-replay');
    const file = join(dir, 'changed.json');
    writeFileSync(file, JSON.stringify(history));

    const bad = await ctpilot(['replay', '--json', '--history', file]);
    assert.equal(bad.code, 1);
    const badJson = JSON.parse(bad.stdout) as {
      ok: boolean;
      replays: Array<{ ok: boolean; problem: { kind: string; summary: string } }>;
    };
    assert.equal(badJson.ok, false);
    assert.equal(badJson.replays[0]!.problem.kind, 'nondeterminism');
    assert.match(badJson.replays[0]!.problem.summary, new RegExp(`somethingElse.*${original}`));
    const text = await ctpilot(['replay', '--history', file]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /✗ .*changed\.json \(\d+ events\): nondeterministic\n {4}\[TMPRL1100\]/);
    assert.match(text.stdout, /fix: .*patched\(\)/);
  });
});
