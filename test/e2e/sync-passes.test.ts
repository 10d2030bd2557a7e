// A rerun is a sync. A legacy root is migrated, then changed the way Docker 1.9 changed it — a
// pull of a new chain with tar-data, an `rmi` of a tag and its unique layers, a retag, a
// container that ran again, one removed, a new one — and migrated again: the result equals a
// fresh migration of the changed root (every entry, nanosecond mtimes, hard-link groups), the
// unchanged layers are not read again, dockerd 20.10 sees exactly the changed root's tags and
// containers, a third pass is "up to date", and kill -9 during the sync pass still ends in the
// same tree. An online pass next to a running legacy daemon is provisional and leaves running
// containers and rebuilt links to the pass after the daemon stops.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSample } from '../../samples/build.js';
import { addLayer, type BuiltRoot } from '../helpers/legacy-root.js';
import { addLegacyContainers, type BuiltContainer } from '../helpers/legacy-containers.js';
import { BIN, runCli } from '../helpers/cli.js';
import { startDockerd } from '../helpers/dockerd.js';
import { describeMigration, retimeNs } from '../helpers/tree-facts.js';
import { killsThenReruns } from '../helpers/kills.js';
import type { MigrationReport } from '../../src/report/types.js';

let work: string, built: BuiltRoot, ctrs: Map<string, BuiltContainer>;
const S = () => join(work, 'docker');
const repos = (root: string) => JSON.parse(readFileSync(join(root, 'repositories-aufs'), 'utf8')) as { Repositories: Record<string, Record<string, string>> };
const json = (r: { stdout: string; stderr: string; status: number }) => {
  assert.ok(r.stdout.startsWith('{'), r.stderr);
  return JSON.parse(r.stdout) as MigrationReport;
};

before(async () => {
  work = mkdtempSync('/tmp/cas-sync-');
  built = buildSample(S(), join(work, 'scratch'));
  ctrs = await addLegacyContainers(built, join(work, 'scratch'), [
    { name: 'db', image: 'cmd', imageRef: 'busybox:latest', cmd: ['/bin/cat', '/data/db'], rw: [{ file: 'data/db', content: 'rows\n' }, { whiteout: 'etc/motd' }] },
    { name: 'web', image: 'tool-cmd', imageRef: 'user/tool:v1', cmd: ['/usr/local/bin/tool'], rw: [{ file: 'www/index.html', content: '<p>\n' }] },
    { name: 'gone', image: 'tool-cmd2', imageRef: 'user/tool:v2', cmd: ['true'], rw: [{ file: 'tmp/x', content: 'x\n' }] },
  ], [{ parent: 'web', child: 'db', alias: 'database' }]);
  execFileSync('cp', ['-a', S(), join(work, 'pristine')]);
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Docker 1.9 at work between two passes. */
async function changeAsDocker19(root: string): Promise<void> {
  const b = { ...built, root, ids: new Map(built.ids), specs: new Map(built.specs), tars: new Map(built.tars) };
  // pull: a new chain on top of the busybox image, with tar-data, tagged
  addLayer({ root, scratch: join(work, 'scratch'), driver: 'aufs', ids: b.ids, tars: b.tars, specs: b.specs }, {
    name: 'pulled', parent: 'cmd', writer: 'gnu', ops: [{ file: 'opt/pulled/app', content: 'pulled later\n', mode: 0o755 }, { whiteout: 'etc/passwd' }],
  });
  const r = repos(root);
  r.Repositories['team/pulled'] = { '1.0': b.ids.get('pulled')! };
  // rmi user/tool:extra and its unique layer; retag user/tool:v2 onto the v1 image
  delete r.Repositories['user/tool']!['extra'];
  for (const d of ['graph', 'aufs/diff', 'aufs/layers', 'aufs/mnt']) rmSync(join(root, d, b.ids.get('tool-extra')!), { recursive: true, force: true });
  r.Repositories['user/tool']!['v2'] = b.ids.get('tool-cmd')!;
  writeFileSync(join(root, 'repositories-aufs'), JSON.stringify(r));
  // db ran again: new data, a deletion, its config rewritten by the daemon
  const db = ctrs.get('db')!.id;
  writeFileSync(join(root, 'aufs/diff', db, 'data/db'), 'rows\nmore rows\n');
  writeFileSync(join(root, 'aufs/diff', db, 'data/.wh.gone'), '');
  retimeNs(join(root, 'aufs/diff', db));
  const cfg = join(root, 'containers', db, 'config.json');
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('"FinishedAt":"2015-11-10T21:42:41.869265487Z"', '"FinishedAt":"2015-11-12T08:00:00.000000001Z"'));
  // docker rm gone
  const gone = ctrs.get('gone')!.id;
  for (const p of [`containers/${gone}`, `aufs/diff/${gone}`, `aufs/diff/${gone}-init`, `aufs/layers/${gone}`, `aufs/layers/${gone}-init`, `aufs/mnt/${gone}`, `aufs/mnt/${gone}-init`]) rmSync(join(root, p), { recursive: true, force: true });
  execFileSync('sqlite3', [join(root, 'linkgraph.db')], { input: `DELETE FROM edge WHERE entity_id='${gone}'; DELETE FROM entity WHERE id='${gone}';` });
  // docker run --name fresh
  await addLegacyContainers({ ...b, root }, join(work, 'scratch'), [{ name: 'fresh', image: 'pulled', imageRef: 'team/pulled:1.0', cmd: ['/opt/pulled/app'], rw: [{ file: 'var/log/app', content: 'hello\n' }] }]);
}

/** A copy of `root` with what cas-migrate wrote taken away again: the legacy root as Docker 1.9 left it. */
function legacyCopy(root: string, to: string): void {
  execFileSync('cp', ['-a', root, to]);
  for (const p of ['image', 'overlay2', '.cas-migrate.json']) rmSync(join(to, p), { recursive: true, force: true });
  execFileSync('python3', ['-c', `
import os, sys
base = os.path.join(sys.argv[1], 'containers')
for c in os.listdir(base):
    d = os.path.join(base, c)
    st = os.stat(d)
    for n in ('config.v2.json', 'config.v2.json.pre-cas-migrate'):
        if os.path.exists(os.path.join(d, n)): os.unlink(os.path.join(d, n))
    b = os.path.join(d, 'hostconfig.json.pre-cas-migrate')
    if os.path.exists(b): os.replace(b, os.path.join(d, 'hostconfig.json'))
    os.utime(d, ns=(st.st_atime_ns, st.st_mtime_ns))
`, to]);
}

let synced: MigrationReport, fresh: string, changedCopy: string;

test('a second pass after Docker 1.9 pulled, removed, retagged and ran containers equals a fresh migration of the changed root', async () => {
  assert.equal(runCli(['--root', S(), '-q']).status, 0);
  await changeAsDocker19(S());
  changedCopy = join(work, 'changed-with-pass1');
  execFileSync('cp', ['-a', S(), changedCopy]);
  fresh = join(work, 'fresh');
  legacyCopy(S(), fresh);
  const f = runCli(['--root', fresh, '-q']);
  assert.equal(f.status, 0, f.stderr);
  synced = json(runCli(['--root', S(), '--json']));
  assert.equal(describeMigration(S()), describeMigration(fresh, S()));
  const s = synced.sync!;
  assert.equal(s.layersAdded, 1, JSON.stringify(s));
  assert.equal(s.layersRemoved, 1, JSON.stringify(s));
  assert.ok(s.layersKept >= 6 && s.layersRewritten === 0, JSON.stringify(s));
  assert.deepEqual([s.containersAdded, s.containersRemoved], [1, 1]);
  assert.ok(s.containersRewritten >= 1, JSON.stringify(s));
  assert.deepEqual(s.refsAdded.sort(), ['team/pulled:1.0', 'user/tool:v2']);
  assert.deepEqual(s.refsRemoved.sort(), ['user/tool:extra', 'user/tool:v2']);
  // Unchanged layers were not read: only the pulled layer was checksummed.
  assert.equal(synced.layers.length - (synced.reusedLayers ?? 0), 1);
});

test('a third pass changes nothing and says the root is up to date', () => {
  const before = describeMigration(S());
  const r = runCli(['--root', S()]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Up to date: /);
  assert.equal(describeMigration(S()), before);
});

test('dockerd 20.10 on the synced root lists exactly the changed root\'s tags and containers', async () => {
  const d = await startDockerd(S(), join(work, 'state'), 'cas-sync');
  try {
    const tags = d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']).trim().split('\n').filter((t) => !t.includes('<none>')).sort();
    const want = Object.entries(repos(S()).Repositories).flatMap(([n, m]) => Object.keys(m).filter((k) => !k.startsWith('sha256:')).map((k) => `${n.replace(/^library\//, '')}:${k}`)).sort();
    assert.deepEqual(tags, want);
    const ps = d.docker(['ps', '-a', '--format', '{{.Names}}']).trim().split('\n').map((n) => n.split(',')[0]).sort();
    assert.deepEqual(ps, ['db', 'fresh', 'web']);
    assert.equal(d.docker(['run', '--rm', '--pull', 'never', 'team/pulled:1.0', '/bin/cat', '/opt/pulled/app']), 'pulled later\n');
    assert.equal(d.startStopped('db'), 'rows\nmore rows\n');
  } finally {
    await d.stop();
  }
  // dockerd has used the layout now: a further pass refuses, saying what to do.
  const r = runCli(['--root', S(), '-q']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /a current dockerd has written to the new layout since the migration .*; a sync would lose that/);
});

test('kill -9 during a sync pass, then a rerun, ends in the same tree as the uninterrupted sync', async () => {
  const restore = () => {
    rmSync(S(), { recursive: true, force: true });
    execFileSync('cp', ['-a', changedCopy, S()]);
  };
  const interrupted = await killsThenReruns(S(), restore, describeMigration(fresh, S()), 8, 11);
  assert.ok(interrupted >= 4, `only ${interrupted} of 8 kills landed during the sync`);
});

test('a layer that the legacy daemon removes while an online pass reads it is dropped with a note, and the pass starts over', async () => {
  const root = join(work, 'rmi-online');
  execFileSync('cp', ['-a', join(work, 'pristine'), root]);
  // `docker rmi user/tool:extra` on Docker 1.9: the tag goes first, then the layer's dirs.
  const r = repos(root);
  delete r.Repositories['user/tool']!['extra'];
  writeFileSync(join(root, 'repositories-aufs'), JSON.stringify(r));
  const extra = built.ids.get('tool-extra')!;
  const daemon = spawn('bash', ['-c', `exec -a docker "${process.execPath}" -e 'setTimeout(() => {}, 120000)' -- daemon -g ${root}`], { stdio: 'ignore' });
  try {
    await new Promise((res) => setTimeout(res, 300));
    const out = spawnSync(process.execPath, [BIN, '--root', root, '--json'], { encoding: 'utf8', env: { ...process.env, CAS_MIGRATE_FAULT_RM: `${root}/graph/${extra}:${root}/aufs/diff/${extra}` } });
    assert.equal(out.status, 5, out.stderr);
    assert.match(out.stderr, new RegExp(`warning: ${root}/(graph|aufs/diff)/${extra}.*: removed by the legacy daemon during the pass .*: dropped; the pass started over`));
    const report = json({ stdout: out.stdout, stderr: out.stderr, status: out.status ?? -1 });
    assert.ok(!report.layers.some((l) => l.v1Id === extra));
    assert.ok(!existsSync(join(root, 'overlay2', extra)), 'no half-written layer');
    assert.equal(runCli(['verify', '--root', root, '-q']).status, 0);
  } finally {
    daemon.kill();
    await new Promise((res) => daemon.on('exit', res));
  }
});

test('an online pass beside a running legacy daemon is provisional: running containers and rebuilt links wait; the final pass finishes them', async () => {
  const root = join(work, 'online');
  execFileSync('cp', ['-a', join(work, 'pristine'), root]);
  const web = ctrs.get('web')!.id;
  const cfg = join(root, 'containers', web, 'config.json');
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('"Running":false', '"Running":true'));
  const hostconfig = readFileSync(join(root, 'containers', web, 'hostconfig.json'));
  // A stand-in for Docker 1.9's `docker daemon -g ROOT` (argv is what the check reads).
  const daemon = spawn('bash', ['-c', `exec -a docker "${process.execPath}" -e 'setTimeout(() => {}, 120000)' -- daemon -g ${root}`], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const r = runCli(['--root', root, '--json']);
    assert.equal(r.status, 5, r.stderr);
    const report = json(r);
    assert.equal(report.provisional?.daemonPid, daemon.pid);
    assert.deepEqual(report.provisional?.deferred, ['/web']);
    assert.match(r.stderr, /pass is provisional/);
    assert.ok(!existsSync(join(root, 'containers', web, 'config.v2.json')), 'the running container is left alone');
    assert.ok(readFileSync(join(root, 'containers', web, 'hostconfig.json')).equals(hostconfig), 'nothing the legacy daemon reads is written');
    assert.ok(existsSync(join(root, 'containers', ctrs.get('db')!.id, 'config.v2.json')), 'a stopped container is migrated');
    assert.ok(readdirSync(join(root, 'overlay2')).length > 8);
  } finally {
    daemon.kill();
    await new Promise((r) => daemon.on('exit', r));
  }
  const final = runCli(['--root', root, '--json']);
  assert.equal(final.status, 0, final.stderr);
  const report = json(final);
  assert.equal(report.provisional, undefined);
  assert.ok(report.sync && report.sync.layersKept === report.layers.filter((l) => !l.sameAs).length, JSON.stringify(report.sync));
  assert.deepEqual(report.containers.map((c) => c.name).sort(), ['/db', '/gone', '/web']);
  assert.equal(JSON.parse(readFileSync(join(root, 'containers', web, 'hostconfig.json'), 'utf8')).Links[0], '/db:database');
  const freshOnline = join(work, 'online-fresh');
  legacyCopy(root, freshOnline);
  assert.equal(runCli(['--root', freshOnline, '-q']).status, 0);
  assert.equal(describeMigration(root, S()), describeMigration(freshOnline, S()));
});
