// kill -9 at twenty random moments of a migration (workers included: they are threads of the
// killed process), rerun each time: the final tree must be exactly the uninterrupted one. A rerun
// on a finished root is a no-op that says so.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSample } from '../../samples/build.js';
import { addLegacyContainers } from '../helpers/legacy-containers.js';
import { BIN, runCli } from '../helpers/cli.js';
import { describeMigration } from '../helpers/tree-facts.js';

let work: string, master: string, run: string;

// The migrated state as an independent walker sees it (test/helpers/tree-facts.ts): every entry
// of image/overlay2, overlay2 and containers, hard-link groups, and mtimes to the nanosecond
// wherever they come from the data — whiteouts included, which take the .wh. entry's times.
const describe = describeMigration;

function restore(): void {
  rmSync(run, { recursive: true, force: true });
  execFileSync('cp', ['-a', master, run]);
}

before(async () => {
  work = mkdtempSync('/tmp/cas-crash-');
  master = join(work, 'master');
  const built = buildSample(master, join(work, 'scratch'));
  await addLegacyContainers(built, join(work, 'scratch'), [
    { name: 'db', image: 'cmd', imageRef: 'busybox:latest', cmd: ['true'], aufsMeta: true, rw: [{ file: 'data/db', content: 'rows\n' }, { whiteout: 'etc/motd' }, { hardlink: 'data/db2', target: 'data/db' }] },
    { name: 'web', image: 'tool-cmd', imageRef: 'user/tool:v1', cmd: ['true'], rw: [{ file: 'www/index.html', content: '<p>\n' }] },
  ], [{ parent: 'web', child: 'db', alias: 'database' }]);
  run = join(work, 'docker'); // every run uses the same path: config.v2.json holds absolute legacy paths
});
after(() => rmSync(work, { recursive: true, force: true }));

test('twenty kill -9s at random moments, each followed by a rerun, end in exactly the uninterrupted result', async (t) => {
  restore();
  const t0 = performance.now();
  const first = runCli(['--root', run, '-q']);
  const duration = performance.now() - t0;
  assert.equal(first.status, 0, first.stderr);
  const want = describe(run);
  assert.ok(want.length > 10_000);

  let seed = 20261123;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const killedAt: number[] = [];
  let interrupted = 0;
  for (let i = 0; i < 20; i++) {
    restore();
    const delay = Math.floor(rand() * duration * 1.1);
    const child = spawn(process.execPath, [BIN, '--root', run, '-q'], { detached: true, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await new Promise((r) => setTimeout(r, delay));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch { /* already finished */ }
    if ((await exited) === null) interrupted++;
    killedAt.push(delay);
    const again = runCli(['--root', run, '-q']);
    assert.equal(again.status, 0, `rerun after a kill at ${delay} ms: ${again.stderr}`);
    assert.ok(!existsSync(join(run, '.cas-migrate-staging')), 'no staging left');
    assert.equal(describe(run), want, `final tree after a kill at ${delay} ms differs from the uninterrupted one`);
  }
  t.diagnostic(`uninterrupted run ${duration.toFixed(0)} ms; kills at ${killedAt.join(', ')} ms; ${interrupted} of 20 really interrupted it`);
  assert.ok(interrupted >= 10, `only ${interrupted} kills landed during a migration`);
});

test('a kill inside each commit window (journal written, between the renames, mid-publish) is resumed to the same tree', () => {
  restore();
  assert.equal(runCli(['--root', run, '-q']).status, 0);
  const want = describe(run);
  for (const point of ['committing', 'between-renames', 'publishing']) {
    restore();
    const killed = spawnSync(process.execPath, [BIN, '--root', run, '-q'], { env: { ...process.env, CAS_MIGRATE_FAULT: point } });
    assert.equal(killed.signal, 'SIGKILL', point);
    assert.match(readFileSync(join(run, '.cas-migrate.json'), 'utf8'), /"state":"committing"/, point);
    const again = runCli(['--root', run]);
    assert.equal(again.status, 0, `${point}: ${again.stderr}`);
    assert.match(again.stdout, /^Resumed an interrupted migration/, point);
    assert.equal(describe(run), want, `after a kill at ${point}`);
  }
});

test('a kill after the checksum phase: the rerun reuses every layer checksum (checkpoints) and ends in the same tree', () => {
  restore();
  assert.equal(runCli(['--root', run, '-q']).status, 0);
  const want = describe(run);
  restore();
  const killed = spawnSync(process.execPath, [BIN, '--root', run, '-q'], { env: { ...process.env, CAS_MIGRATE_FAULT: 'checksummed' } });
  assert.equal(killed.signal, 'SIGKILL');
  const again = runCli(['--root', run, '--json']);
  assert.equal(again.status, 0, again.stderr);
  const report = JSON.parse(again.stdout) as { reusedLayers: number; layers: unknown[] };
  assert.equal(report.reusedLayers, report.layers.length);
  assert.equal(describe(run), want);
});

test('a rerun on an unchanged root changes nothing and says it is up to date; --force redoes it', () => {
  const before = describe(run);
  const r = runCli(['--root', run]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Up to date: /);
  assert.equal(describe(run), before);
  const f = runCli(['--root', run, '-q', '--force']);
  assert.equal(f.status, 0, f.stderr);
  assert.doesNotMatch(f.stdout, /Up to date/);
  assert.equal(describe(run), before);
});
