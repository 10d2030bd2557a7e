// --target on another filesystem (copies instead of hardlinks) and the verify stage catching
// each defect it claims to.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { diffSnapshots, snapshotTree } from '../helpers/snapshot.js';
import { join } from 'node:path';
import { buildLegacyAufsRoot, type BuiltRoot } from '../helpers/legacy-root.js';
import { addLegacyContainers } from '../helpers/legacy-containers.js';
import { goAssembleDigest, layerDirs, runCli } from '../helpers/cli.js';
import { aufsConversionProblems, treeFacts } from '../helpers/tree-facts.js';
import { verifyLayout } from '../../src/verify/layout.js';
import type { MigrationReport } from '../../src/report/types.js';

let work: string, b: BuiltRoot, tmpfs: string;

let ctrId: string;

before(async () => {
  work = mkdtempSync('/tmp/cas-targets-');
  b = buildLegacyAufsRoot(join(work, 'docker'), join(work, 'scratch'), {
    layers: [
      { name: 'base', writer: 'gnu', ops: [{ file: 'etc/a', content: 'a\n' }, { file: 'bin/x', content: 'x\n', mode: 0o755 }, { symlink: 'bin/y', target: 'x' }, { xattr: 'etc/a', name: 'user.k', hex: '01' }] },
      { name: 'child', parent: 'base', writer: 'python', ops: [{ whiteout: 'etc/a' }, { dir: 'opt' }, { opaque: 'opt' }, { file: 'opt/z', content: 'z\n' }] },
    ],
    tags: { t: { latest: 'child' } },
  });
  const c = await addLegacyContainers(b, join(work, 'scratch'), [{ name: 'app', image: 'child', imageRef: 't:latest', cmd: ['true'], rw: [{ file: 'state', content: 'kept\n' }] }]);
  ctrId = c.get('app')!.id;
  tmpfs = join(work, 'tmpfs');
  mkdirSync(tmpfs);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', tmpfs]);
});

after(() => {
  execFileSync('umount', ['-l', tmpfs]);
  rmSync(work, { recursive: true, force: true });
});

test('a target on another filesystem gets copies (said in the report) that still reassemble bit-exactly', () => {
  const target = join(tmpfs, 'docker');
  const r = runCli(['--root', b.root, '--target', target, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as MigrationReport;
  assert.equal(report.materialise.linked, 0);
  assert.ok(report.materialise.copied >= 3);
  for (const hex of layerDirs(target)) assert.equal(goAssembleDigest(target, hex), readFileSync(join(target, 'image/overlay2/layerdb/sha256', hex, 'diff'), 'utf8'));
  const base = join(target, 'overlay2', b.ids.get('base')!, 'diff');
  assert.equal(statSync(join(base, 'bin/x')).mode & 0o7777, 0o755);
  assert.equal(execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', 'user.k', join(base, 'etc/a')]).toString('hex'), '01');
  assert.ok(!readdirSync(b.root).includes('image'), 'nothing written beside the legacy data');
  // The container dir is copied to the target; the legacy one gains nothing.
  assert.equal(report.containers[0]!.skipped, undefined);
  assert.equal(JSON.parse(readFileSync(join(target, 'containers', ctrId, 'config.v2.json'), 'utf8')).Driver, 'overlay2');
  assert.ok(readFileSync(join(target, 'containers', ctrId, 'config.json')).equals(readFileSync(join(b.root, 'containers', ctrId, 'config.json'))));
  assert.deepEqual(readdirSync(join(b.root, 'containers', ctrId)).filter((n) => n.includes('v2') || n.includes('cas-migrate')), []);
  assert.equal(readFileSync(join(target, 'overlay2', ctrId, 'diff', 'state'), 'utf8'), 'kept\n');
  // Copied across filesystems, every time is kept to the nanosecond: layer files and dirs, and
  // the container dir with everything in it but the config files cas-migrate writes.
  assert.deepEqual(aufsConversionProblems(join(b.root, 'aufs/diff', b.ids.get('base')!), base), []);
  const legacyCtr = treeFacts(join(b.root, 'containers', ctrId)), copiedCtr = treeFacts(join(target, 'containers', ctrId));
  for (const [k, f] of legacyCtr) assert.equal(copiedCtr.get(k)?.mtimeNs, f.mtimeNs, k);
  assert.ok([...legacyCtr.values()].every((f) => BigInt(f.mtimeNs) % 1000n !== 0n), 'the fixture has sub-microsecond times');
});

function freshLayout(): { image: string; driver: string } {
  const dir = mkdtempSync(join(work, 'layout-'));
  // cp -a: the layout holds 0:0 whiteout devices, which fs.cpSync cannot copy
  execFileSync('cp', ['-a', join(tmpfs, 'docker/image'), join(tmpfs, 'docker/overlay2'), dir]);
  return { image: join(dir, 'image/overlay2'), driver: join(dir, 'overlay2') };
}

test('verify accepts the layout we wrote and names each defect it checks for', async () => {
  const good = freshLayout();
  assert.deepEqual(await verifyLayout(good.image, good.driver), { layers: 2, images: 2, mounts: 1 });

  const defects: Array<[string, (l: { image: string; driver: string }) => void, RegExp]> = [
    ['a flipped byte in an image config', (l) => {
      const dir = join(l.image, 'imagedb/content/sha256');
      const f = join(dir, readdirSync(dir)[0]!);
      const data = readFileSync(f);
      data[10] ^= 1;
      writeFileSync(f, data);
    }, /content does not hash to its name/],
    ['a digest with a trailing newline', (l) => {
      const f = join(l.image, 'layerdb/sha256', layerDirs(join(l.image, '../..'))[0]!, 'diff');
      writeFileSync(f, readFileSync(f, 'utf8') + '\n');
    }, /not a lower-case sha256 digest/],
    ['a broken l/ link', (l) => {
      const links = readdirSync(join(l.driver, 'l'));
      unlinkSync(join(l.driver, 'l', links[0]!));
    }, /link does not point at the layer|does not resolve/],
    ['a missing layer dir', (l) => {
      rmSync(join(l.driver, b.ids.get('child')!), { recursive: true });
    }, /no overlay2 dir/],
    ['a mount whose RW layer is gone', (l) => {
      rmSync(join(l.driver, ctrId), { recursive: true });
    }, /mount-id: no overlay2 dir/],
  ];
  for (const [what, breakIt, msg] of defects) {
    const l = freshLayout();
    breakIt(l);
    await assert.rejects(verifyLayout(l.image, l.driver), msg, what);
  }
});

test('a target filesystem that fills up: one error line naming the layer and file, nothing visible, the source untouched; after freeing space the rerun reuses the checksums', () => {
  const small = join(work, 'small');
  mkdirSync(small);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small]);
  try {
    const big = buildLegacyAufsRoot(join(work, 'bigsrc'), join(work, 'bigscratch'), {
      layers: [{ name: 'big', writer: 'gnu', ops: [{ file: 'data/blob', content: Buffer.alloc(1 << 20, 3) }] }],
    });
    const before = snapshotTree(big.root);
    const r = runCli(['--root', big.root, '--target', join(small, 'docker')]);
    assert.equal(r.status, 1, r.stderr);
    const errors = r.stderr.split('\n').filter((l) => /error/i.test(l));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0]!, new RegExp(`layer ${big.ids.get('big')}: .*(data/blob|${big.ids.get('big')}).*ENOSPC`));
    assert.deepEqual(readdirSync(join(small, 'docker')).filter((n) => n === 'image' || n === 'overlay2'), []);
    assert.deepEqual(readdirSync(join(small, 'docker/.cas-migrate-staging')).sort(), ['checksums.jsonl', 'pathb'], 'only the checkpoints stay');
    assert.deepEqual(diffSnapshots(before, snapshotTree(big.root)), []);
    execFileSync('mount', ['-o', 'remount,size=16m', small]);
    const again = runCli(['--root', big.root, '--target', join(small, 'docker'), '--json']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as MigrationReport).reusedLayers, 1);
  } finally {
    execFileSync('umount', ['-l', small]);
  }
});

test('a symlink planted at the target\'s image/ is never written through', () => {
  const t2 = join(work, 'planted');
  mkdirSync(join(t2, 'elsewhere'), { recursive: true });
  symlinkSync(join(t2, 'elsewhere'), join(t2, 'image'));
  const r = runCli(['--root', b.root, '--target', t2]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /image: is a symlink; refusing to write through it/);
  assert.deepEqual(readdirSync(join(t2, 'elsewhere')), []);
});
