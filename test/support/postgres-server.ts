// A real PostgreSQL server (Debian's package) for the tests that check our SQL
// runs on the PostgreSQL users deploy, not only on PGlite. Started in a
// scratch directory on a free port; skipped with a reason when not installed.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePorts } from '../../infra/stack/ports.ts';

export interface PostgresServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** The bin directory of the newest installed PostgreSQL, or undefined. */
export function postgresBinDir(): string | undefined {
  const found = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1'], {
    encoding: 'utf8',
  });
  const dir = found.stdout.trim();
  return dir !== '' ? dir : undefined;
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'ctpilot-pg-'));
  // PostgreSQL refuses to run as root: run it as the package's postgres user.
  const asRoot = process.getuid?.() === 0;
  let user: { uid: number; gid: number } | undefined;
  if (asRoot) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    user = { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
    chownSync(dir, user.uid, user.gid);
  }
  const run = (args: string[]) => spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', ...user });
  const init = run([
    join(bin, 'initdb'),
    '-D',
    join(dir, 'data'),
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
  ]);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const [port] = await freePorts(1);
  const child: ChildProcess = spawn(
    join(bin, 'postgres'),
    ['-D', join(dir, 'data'), '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off'],
    { stdio: 'ignore', ...user },
  );
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  for (let i = 0; ; i++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      await client.end().catch(() => {});
      if (i > 120) {
        child.kill('SIGKILL');
        throw new Error('PostgreSQL did not start within 30 s');
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
