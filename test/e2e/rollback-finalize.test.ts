// rollback and finalize end to end with dockerd 20.10: a rollback leaves the legacy data exactly
// as it was, and is refused once a dockerd has written to the new layout; finalize moves the
// legacy data aside so that a dockerd without --storage-driver picks overlay2, reversibly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSample } from '../../samples/build.js';
import { addLegacyContainers } from '../helpers/legacy-containers.js';
import { diffSnapshots, snapshotEntries } from '../helpers/snapshot.js';
import { runCli } from '../helpers/cli.js';
import { startDockerd } from '../helpers/dockerd.js';

const LEGACY = ['graph', 'aufs', 'repositories-aufs', 'containers', 'linkgraph.db'];
let work: string, master: string;

before(async () => {
  work = mkdtempSync('/tmp/cas-rollback-');
  master = join(work, 'master');
  const built = buildSample(master, join(work, 'scratch'));
  await addLegacyContainers(built, join(work, 'scratch'), [
    { name: 'db', image: 'cmd', imageRef: 'busybox:latest', cmd: ['true'], rw: [{ file: 'data/db', content: 'rows\n' }] },
    { name: 'web', image: 'tool-cmd', imageRef: 'user/tool:v1', cmd: ['true'], rw: [] },
  ], [{ parent: 'web', child: 'db', alias: 'database' }]);
});
after(() => rmSync(work, { recursive: true, force: true }));

function fresh(name: string): string {
  const root = join(work, name, 'docker');
  execFileSync('mkdir', ['-p', join(work, name)]);
  execFileSync('cp', ['-a', master, root]);
  return root;
}

test('rollback right after a migration leaves the legacy data exactly as it was', () => {
  const root = fresh('rb');
  const before = snapshotEntries(root, LEGACY);
  const top = readdirSync(root).sort();
  assert.equal(runCli(['--root', root, '-q']).status, 0);
  const r = runCli(['rollback', '--root', root]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /hostconfig\.json \(original restored\)/);
  assert.deepEqual(diffSnapshots(before, snapshotEntries(root, LEGACY)), []);
  assert.deepEqual(readdirSync(root).sort(), top);
  assert.equal(runCli(['rollback', '--root', root]).status, 1, 'nothing left to roll back');
});

test('rollback is refused once a dockerd has loaded the migrated root, and says what to do', async () => {
  const root = fresh('rb-refused');
  assert.equal(runCli(['--root', root, '-q']).status, 0);
  const d = await startDockerd(root, join(work, 'state-rb'), 'cas-rollback');
  try {
    d.docker(['create', '--name', 'new-one', '--pull', 'never', 'busybox:latest']);
  } finally {
    await d.stop();
  }
  const r = runCli(['rollback', '--root', root]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error: .*image\/overlay2: a current dockerd has written to the new layout since the migration \(.*container mounts added.*\); rolling back would lose that/);
  assert.ok(existsSync(join(root, 'image/overlay2')));
  const f = runCli(['--root', root, '--force']);
  assert.equal(f.status, 1, 'nor may --force delete what dockerd wrote');
  assert.match(f.stderr, /--force would delete that/);
  assert.ok(existsSync(join(root, 'image/overlay2/layerdb/mounts')));
});

test('finalize moves the legacy data aside: dockerd without --storage-driver picks overlay2; the printed undo restores it', async () => {
  const root = fresh('fin');
  assert.equal(runCli(['--root', root, '-q']).status, 0);
  const f = runCli(['finalize', '--root', root, '--json']);
  assert.equal(f.status, 0, f.stderr);
  const r = JSON.parse(f.stdout) as { folder: string; moved: string[]; undo: string };
  assert.deepEqual(r.moved.sort(), ['aufs', 'graph', 'linkgraph.db', 'repositories-aufs']);
  for (const n of r.moved) assert.ok(!existsSync(join(root, n)) && existsSync(join(r.folder, n)), n);
  assert.equal(runCli(['finalize', '--root', root]).status, 1, 'finalizing twice is refused');
  const force = runCli(['--root', root, '--force']);
  assert.equal(force.status, 1, '--force after finalize is refused');
  assert.match(force.stderr, /finalized/);
  const d = await startDockerd(root, join(work, 'state-fin'), 'cas-finalize', null);
  try {
    assert.equal(d.docker(['info', '--format', '{{.Driver}}']).trim(), 'overlay2');
    assert.match(d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']), /busybox:latest/);
    assert.match(d.docker(['ps', '-a', '--format', '{{.Names}}']), /\bdb\b/);
  } finally {
    await d.stop();
  }
  execFileSync('bash', ['-c', r.undo]);
  for (const n of r.moved) assert.ok(existsSync(join(root, n)), `${n} restored by the undo`);
  assert.ok(!existsSync(r.folder));
});
