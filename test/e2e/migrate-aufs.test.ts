// The sample legacy aufs root (real tar writers, Go tar-split) migrated by the real CLI, then
// judged by Go tar-split and a real dockerd 20.10.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, lstatSync, readlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildSample } from '../../samples/build.js';
import type { BuiltRoot } from '../helpers/legacy-root.js';
import { sha256File } from '../helpers/legacy-root.js';
import { diffSnapshots, snapshotEntries } from '../helpers/snapshot.js';
import { goAssembleDigest, layerDirs, runCli } from '../helpers/cli.js';
import { aufsConversionProblems, treeFacts } from '../helpers/tree-facts.js';
import { startDockerd, type Dockerd } from '../helpers/dockerd.js';
import { exportView, mergedView, readTar, viewProblems } from '../helpers/tarview.js';
import type { MigrationReport } from '../../src/report/types.js';

const LEGACY = ['graph', 'aufs', 'repositories-aufs', 'containers'];

let work: string, root: string, built: BuiltRoot, report: MigrationReport;
let before_: Map<string, string>;

before(() => {
  work = mkdtempSync('/tmp/cas-e2e-');
  root = join(work, 'docker');
  built = buildSample(root, join(work, 'scratch'));
  before_ = snapshotEntries(root, LEGACY);
  const r = runCli(['--root', root, '--json']);
  assert.equal(r.status, 0, r.stderr);
  report = JSON.parse(r.stdout) as MigrationReport;
});

after(() => rmSync(work, { recursive: true, force: true }));

const idOf = (name: string) => built.ids.get(name)!;
const rowOf = (name: string) => report.layers.find((l) => l.v1Id === idOf(name))!;

test('every Path A DiffID is the sha256 of the original layer tar, whatever wrote it', () => {
  const pathA = [...built.specs.values()].filter((s) => (s.tarData ?? 'go') === 'go');
  assert.ok(pathA.length >= 5);
  for (const s of pathA) {
    assert.equal(rowOf(s.name).path, 'A', s.name);
    assert.equal(rowOf(s.name).diffId, sha256File(built.tars.get(s.name)!), `${s.name} (${s.writer})`);
  }
});

test('a layer without tar-data is regenerated (Path B) and says why', () => {
  const row = rowOf('old-layer');
  assert.equal(row.path, 'B');
  assert.match(row.fallbackReason ?? '', /no tar-data/);
});

test('Go tar-split asm over each overlay2 diff dir reproduces the layer (sha256 = diff), Path B included', () => {
  const dirs = layerDirs(root);
  assert.equal(dirs.length, report.totals.uniqueLayers);
  for (const hex of dirs) {
    const diff = readFileSync(`${root}/image/overlay2/layerdb/sha256/${hex}/diff`, 'utf8');
    assert.equal(goAssembleDigest(root, hex), diff, hex);
  }
});

test('Path A tar-split.json.gz is the legacy tar-data.json.gz byte for byte', () => {
  for (const l of report.layers.filter((x) => x.path === 'A' && x.cacheId)) {
    const hex = l.chainId.slice(7);
    assert.deepEqual(readFileSync(`${root}/image/overlay2/layerdb/sha256/${hex}/tar-split.json.gz`), readFileSync(`${root}/graph/${l.v1Id}/tar-data.json.gz`));
  }
});

test('v1 layers with the same content chain collapse into one ChainID owned by the first', () => {
  const a = rowOf('tool-cmd'), b = rowOf('tool-cmd2');
  assert.equal(a.chainId, b.chainId);
  const [first, second] = a.v1Id < b.v1Id ? [a, b] : [b, a];
  assert.equal(second.sameAs, first.v1Id);
  assert.notEqual(report.images.find((i) => i.v1Id === a.v1Id)!.imageId, report.images.find((i) => i.v1Id === b.v1Id)!.imageId);
});

test('layout files carry the exact bytes and modes dockerd 20.10 writes', () => {
  for (const l of report.layers.filter((x) => x.cacheId)) {
    const dir = `${root}/image/overlay2/layerdb/sha256/${l.chainId.slice(7)}`;
    assert.equal(readFileSync(`${dir}/diff`, 'utf8'), l.diffId);
    assert.equal(readFileSync(`${dir}/size`, 'utf8'), String(l.size));
    assert.equal(readFileSync(`${dir}/cache-id`, 'utf8'), l.cacheId);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const o = `${root}/overlay2/${l.cacheId}`;
    const link = readFileSync(`${o}/link`, 'utf8');
    assert.match(link, /^[A-Z2-7]{26}$/);
    assert.equal(readlinkSync(`${root}/overlay2/l/${link}`), `../${l.cacheId}/diff`);
    assert.equal(statSync(o).mode & 0o777, 0o710);
    const hasParent = existsSync(`${dir}/parent`);
    assert.equal(existsSync(`${o}/lower`), hasParent);
    assert.equal(existsSync(`${o}/work`), hasParent);
    if (hasParent) assert.match(readFileSync(`${o}/lower`, 'utf8'), /^l\/[A-Z2-7]{26}(:l\/[A-Z2-7]{26})*$/);
  }
  assert.equal(statSync(`${root}/image/overlay2/repositories.json`).mode & 0o777, 0o600);
  assert.equal(statSync(`${root}/overlay2`).mode & 0o777, 0o710);
  assert.ok(!existsSync(`${root}/.cas-migrate-staging`));
});

test('aufs whiteouts become 0:0 char devices, opaque markers an xattr, branch metadata is gone', () => {
  const cfg = `${root}/overlay2/${idOf('config')}/diff`;
  const wh = lstatSync(`${cfg}/etc/group`);
  assert.ok(wh.isCharacterDevice() && wh.rdev === 0);
  assert.ok(!existsSync(`${cfg}/etc/.wh.group`));
  assert.ok(!existsSync(`${cfg}/opt/app/.wh..wh..opq`));
  assert.equal(execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', `${cfg}/opt/app`]).toString(), 'y');
  assert.throws(() => execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', `${cfg}/etc`], { stdio: 'ignore' }));
  const base = `${root}/overlay2/${idOf('base')}/diff`;
  for (const m of ['.wh..wh.aufs', '.wh..wh.plnk', '.wh..wh.orph']) assert.ok(!existsSync(`${base}/${m}`), m);
  // Image layer files are the legacy inodes (hardlinks, zero extra disk).
  assert.equal(statSync(`${base}/bin/busybox`).ino, statSync(`${root}/aufs/diff/${idOf('base')}/bin/busybox`).ino);
});

test('every overlay2 diff dir is its aufs branch converted: modes, owners, xattrs, contents and mtimes to the nanosecond; whiteouts carry the .wh. file\'s owner and times', () => {
  let entries = 0, subMicro = 0;
  for (const row of report.layers.filter((l) => !l.sameAs)) {
    const src = `${root}/aufs/diff/${row.v1Id}`;
    assert.deepEqual(aufsConversionProblems(src, `${root}/overlay2/${row.cacheId ?? row.v1Id}/diff`), [], row.v1Id);
    for (const f of treeFacts(src).values()) {
      entries++;
      if (BigInt(f.mtimeNs) % 1000n !== 0n) subMicro++;
    }
  }
  // The check has teeth: the legacy trees' times have digits that microseconds would lose.
  assert.ok(entries > 50 && subMicro === entries, `${subMicro} of ${entries} legacy entries have sub-microsecond mtimes`);
  assert.ok(report.materialise.whiteouts >= 2 && report.materialise.opaqueDirs >= 1);
});

test('the legacy data is unchanged: names, modes, owners, mtimes, xattrs, contents', () => {
  assert.deepEqual(diffSnapshots(before_, snapshotEntries(root, LEGACY)), []);
});

describe('dockerd 20.10 on the migrated root', () => {
  let d: Dockerd;
  before(async () => {
    d = await startDockerd(root, join(work, 'state'), 'cas-e2e');
  });
  after(async () => d?.stop());

  test('docker images lists every tag with the image IDs we computed', () => {
    const lines = d.docker(['images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']).trim().split('\n').sort();
    const want = report.images.flatMap((i) => i.refs.filter((r) => !r.includes('@')).map((r) => `${r} ${i.imageId}`)).sort();
    assert.deepEqual(lines, want);
    assert.equal(d.docker(['images', '-a', '-q']).trim().split('\n').length, new Set(report.images.map((i) => i.imageId)).size);
  });

  test('image inspect shows our DiffIDs and the digest reference', () => {
    const cmd = report.images.find((i) => i.v1Id === idOf('cmd'))!;
    const inspect = JSON.parse(d.docker(['image', 'inspect', 'busybox:latest']))[0];
    assert.equal(inspect.Id, cmd.imageId);
    assert.deepEqual(inspect.RootFS.Layers, ['base', 'config', 'cmd'].map((n) => rowOf(n).diffId));
    assert.ok((inspect.RepoDigests as string[]).some((r) => r.startsWith('busybox@sha256:1616')));
  });

  test('docker run works on the busybox-based images', () => {
    assert.equal(d.docker(['run', '--rm', '--pull', 'never', 'busybox:latest', '/bin/cat', '/etc/motd']), 'changed in layer 2\n');
    assert.equal(d.docker(['run', '--rm', '--pull', 'never', 'user/tool:v1', '/usr/local/bin/tool']), 'tool\n');
  });

  test('docker save layer tars hash to our DiffIDs', async () => {
    const saved = d.dockerRaw(['save', 'example.com:5000/team/app:1.0']);
    const entries = await readTar(saved);
    const manifest = JSON.parse(entries.find((e) => e.name === 'manifest.json')!.body.toString())[0];
    const got = (manifest.Layers as string[]).map((p) => 'sha256:' + entries.find((e) => e.name === p)!.sha);
    assert.deepEqual(got, ['base', 'config', 'cmd', 'old-layer'].map((n) => rowOf(n).diffId));
  });

  // Paths the container's init layer adds or touches; their parents' mtimes change too.
  const INIT = new Set(['.dockerenv', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'etc/mtab', 'dev/console', 'dev/pts', 'dev/shm', 'proc', 'sys', 'dev']);
  const TOUCHED_DIRS = new Set(['etc', 'dev']);

  for (const [tag, chain] of [
    ['busybox:latest', ['base', 'config', 'cmd']],
    ['example.com:5000/team/app:1.0', ['base', 'config', 'cmd', 'old-layer']],
    ['user/tool:v2', ['base', 'tool', 'tool-cmd2']],
  ] as const) {
    test(`the merged filesystem of ${tag} equals the legacy aufs union`, async () => {
      const want = await mergedView(chain.map((n) => readFileSync(built.tars.get(n)!)));
      const cid = d.docker(['create', '--pull', 'never', tag]).trim();
      const got = await exportView(d.dockerRaw(['export', cid]));
      d.docker(['rm', cid]);
      assert.deepEqual(viewProblems(want, got, { skip: (p) => INIT.has(p) || p.startsWith('dev/'), ignoreMtime: (p) => TOUCHED_DIRS.has(p) }), []);
      // Sanity: the view really contains what the sample put there.
      assert.ok(want.has('usr/bin/ping') && want.has('bin/busybox'));
    });
  }

  test('the opaque dir and whiteouts hide lower entries inside a running container', () => {
    const out = d.docker(['run', '--rm', '--pull', 'never', 'busybox:latest', '/bin/ls', '-a', '/opt/app', '/etc']);
    assert.match(out, /new/);
    assert.doesNotMatch(out, /old|keep-not|\bgroup\b/);
  });

  test('readdir of the legacy graph is still there for rollback (dockerd ignored it)', () => {
    assert.equal(readdirSync(join(root, 'graph')).length, built.ids.size);
  });
});
