// The same logical images and a stopped container as legacy aufs, overlay (v1), vfs and btrfs
// roots (btrfs on a real btrfs filesystem on a loop file), each migrated by the real CLI and
// judged by Go tar-split and a real dockerd 20.10. The layer tars are shared by the four roots,
// so Path A layers must come out identical whatever driver held them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sampleSpec } from '../../samples/sample-spec.js';
import { buildLegacyRoot, layerPath, sha256File, type BuiltRoot, type LayerSpec, type LegacyDriverName, type RootSpec } from '../helpers/legacy-root.js';
import { addLegacyContainers, type BuiltContainer } from '../helpers/legacy-containers.js';
import { diffSnapshots, snapshotEntries } from '../helpers/snapshot.js';
import { goAssembleDigest, layerDirs, runCli } from '../helpers/cli.js';
import { startDockerd } from '../helpers/dockerd.js';
import { exportView, mergedView, viewProblems } from '../helpers/tarview.js';
import { fullTreeDiffProblems, treeFacts } from '../helpers/tree-facts.js';
import type { MigrationReport } from '../../src/report/types.js';

// Type changes, a device and an xattr on top of the sample; once with tar-data (Path A) and
// once without (Path B: the change walk against the parent's tree).
const retypeOps: LayerSpec['ops'] = [
  { dir: 'etc/motd' }, { file: 'etc/motd/now-a-dir', content: 'file became a dir\n' },
  { symlink: 'opt/app', target: '/srv' },
  { file: 'usr/share/data/big.bin', content: Buffer.alloc(300_000, 9), mtime: 1446340000 },
  { chardev: 'dev/zero', major: 1, minor: 5 },
  { file: 'etc/shadow', content: 'root:*:16000::::::\n', mode: 0o640 },
  { xattr: 'etc/shadow', name: 'user.note', hex: '736563726574' },
  { whiteout: 'bin/ls' },
];

function spec(): RootSpec {
  const s = sampleSpec();
  s.layers.push(
    { name: 'retype', parent: 'cmd', writer: 'gnu', ops: retypeOps },
    { name: 'retype-b', parent: 'cmd', writer: 'gnu', ops: retypeOps, tarData: 'none' },
  );
  s.tags!['retype'] = { a: 'retype', b: 'retype-b' };
  return s;
}

const DRIVERS: LegacyDriverName[] = ['aufs', 'overlay', 'vfs', 'btrfs'];
const CHAINS = {
  'busybox:latest': ['base', 'config', 'cmd'],
  'example.com:5000/team/app:1.0': ['base', 'config', 'cmd', 'old-layer'],
  'user/tool:v1': ['base', 'tool', 'tool-cmd'],
  'user/tool:v2': ['base', 'tool', 'tool-cmd2'],
  'user/tool:extra': ['base', 'tool', 'tool-extra'],
  'retype:a': ['base', 'config', 'cmd', 'retype'],
  'retype:b': ['base', 'config', 'cmd', 'retype-b'],
} as const;

interface Migrated {
  built: BuiltRoot;
  ctr: BuiltContainer;
  report: MigrationReport;
  legacyBefore: Map<string, string>;
  legacyAfter: Map<string, string>;
  /** --dry-run --json before the migration. */
  audit: { containers: Array<{ name: string; bytes: number }>; layers: Array<{ v1Id: string; size: number; path: string }> };
}

let work: string, btrfsMount: string;
const roots = new Map<LegacyDriverName, Migrated>();

const legacyEntries = (d: LegacyDriverName) => ['graph', d === 'vfs' ? 'vfs' : d, `repositories-${d}`];

before(async () => {
  work = mkdtempSync('/tmp/cas-drivers-');
  btrfsMount = join(work, 'btrfs');
  mkdirSync(btrfsMount);
  execFileSync('truncate', ['-s', '1G', join(work, 'btrfs.img')]);
  execFileSync('mkfs.btrfs', ['-q', join(work, 'btrfs.img')]);
  execFileSync('mount', ['-o', 'loop', join(work, 'btrfs.img'), btrfsMount]);
  let tars: Map<string, string> | undefined;
  for (const d of DRIVERS) {
    const root = d === 'btrfs' ? join(btrfsMount, 'docker') : join(work, d, 'docker');
    const built = buildLegacyRoot(root, join(work, d, 'scratch'), spec(), d, tars);
    tars ??= built.tars;
    const ctrs = await addLegacyContainers(built, join(work, d, 'scratch'), [{
      name: 'keeper', image: 'retype', imageRef: 'retype:a', cmd: ['/bin/cat', '/data/notes'],
      rw: [
        { file: 'data/notes', content: 'written by the container\n', uid: 1000, gid: 1000, mode: 0o640 },
        { hardlink: 'data/notes-link', target: 'data/notes' },
        { file: 'etc/motd/now-a-dir', content: 'edited in the container\n' },
        { whiteout: 'etc/passwd' },
        { whiteout: 'usr/share/data' },
      ],
    }]);
    const legacyBefore = snapshotEntries(root, legacyEntries(d));
    const dry = runCli(['--root', root, '--dry-run', '--json']);
    assert.ok(dry.status === 0 || dry.status === 4, `${d} dry run: ${dry.stderr}`);
    const r = runCli(['--root', root, '--json']);
    assert.equal(r.status, 0, `${d}: ${r.stderr}`);
    roots.set(d, { built, ctr: ctrs.get('keeper')!, report: JSON.parse(r.stdout) as MigrationReport, audit: JSON.parse(dry.stdout), legacyBefore, legacyAfter: snapshotEntries(root, legacyEntries(d)) });
  }
});

after(() => {
  spawnSync('umount', ['-l', btrfsMount]);
  rmSync(work, { recursive: true, force: true });
});

const m = (d: LegacyDriverName) => roots.get(d)!;
const layerRow = (d: LegacyDriverName, name: string) => m(d).report.layers.find((l) => l.v1Id === m(d).built.ids.get(name))!;
const pathALayers = () => [...m('aufs').built.specs.values()].filter((s) => (s.tarData ?? 'go') === 'go').map((s) => s.name);

test('full-tree roots really are full trees: overlay shares inodes with the parent, vfs copies, btrfs snapshots are separate devices', () => {
  const id = (d: LegacyDriverName, n: string) => m(d).built.ids.get(n)!;
  const st = (p: string) => lstatSync(p);
  const ov = (n: string) => `${m('overlay').built.root}/overlay/${id('overlay', n)}/root/bin/busybox`;
  assert.equal(st(ov('base')).ino, st(ov('config')).ino);
  const vfs = (n: string) => `${m('vfs').built.root}/vfs/dir/${id('vfs', n)}/bin/busybox`;
  assert.notEqual(st(vfs('base')).ino, st(vfs('config')).ino);
  const bt = (n: string) => `${m('btrfs').built.root}/btrfs/subvolumes/${id('btrfs', n)}`;
  assert.notEqual(st(bt('base')).dev, st(bt('config')).dev);
  assert.equal(m('overlay').report.driver, 'overlay');
  assert.equal(m('btrfs').report.driver, 'btrfs');
});

test('every Path A DiffID is the sha256 of the original tar, on every driver', () => {
  for (const d of DRIVERS) for (const n of pathALayers()) {
    assert.equal(layerRow(d, n).path, 'A', `${d} ${n}`);
    assert.equal(layerRow(d, n).diffId, sha256File(m(d).built.tars.get(n)!), `${d} ${n}`);
  }
});

test('the four drivers give the same DiffIDs, ChainIDs and image IDs for Path A layers', () => {
  for (const d of DRIVERS.slice(1)) for (const n of pathALayers()) {
    const a = layerRow('aufs', n), b = layerRow(d, n);
    assert.deepEqual([b.diffId, b.chainId], [a.diffId, a.chainId], `${d} ${n}`);
    const img = (x: LegacyDriverName) => m(x).report.images.find((i) => i.v1Id === m(x).built.ids.get(n))!.imageId;
    assert.equal(img(d), img('aufs'), `${d} ${n}`);
  }
});

test('without tar-data, overlay, vfs and btrfs regenerate the same tar from the change walk (inode pruning or not)', () => {
  const diffIds = ['overlay', 'vfs', 'btrfs'].map((d) => layerRow(d as LegacyDriverName, 'retype-b'));
  for (const r of diffIds) assert.equal(r.path, 'B');
  assert.equal(new Set(diffIds.map((r) => r.diffId)).size, 1, JSON.stringify(diffIds.map((r) => r.diffId)));
  assert.equal(layerRow('vfs', 'old-layer').diffId, layerRow('overlay', 'old-layer').diffId);
});

test('the dry run sizes layers and container data alike on every driver (full trees measured by their changes)', () => {
  for (const d of DRIVERS.slice(1)) {
    assert.deepEqual(m(d).audit.containers.map((c) => c.bytes), m('aufs').audit.containers.map((c) => c.bytes), d);
    for (const n of pathALayers()) {
      const size = (x: LegacyDriverName) => m(x).audit.layers.find((l) => l.v1Id === m(x).built.ids.get(n))!.size;
      assert.equal(size(d), size('aufs'), `${d} ${n}`);
    }
  }
  assert.ok(m('aufs').audit.containers[0]!.bytes > 40);
});

test('Go tar-split asm over every overlay2 diff dir reproduces its DiffID, on every driver', () => {
  for (const d of DRIVERS) {
    const root = m(d).built.root;
    for (const hex of layerDirs(root)) {
      const diff = readFileSync(`${root}/image/overlay2/layerdb/sha256/${hex}/diff`, 'utf8');
      assert.equal(goAssembleDigest(root, hex), diff, `${d} ${hex}`);
    }
  }
});

test('image layers cost no extra disk: files hardlinked into the legacy tree, or reflinked across btrfs subvolumes', () => {
  for (const d of ['overlay', 'vfs', 'btrfs'] as const) {
    const r = m(d).report.materialise;
    // btrfs: symlinks, devices and FIFOs cannot be linked across subvolumes either; they hold no data
    if (d !== 'btrfs') assert.equal(r.copied, 0, d);
    assert.ok(r.linked + r.cloned > 20 && r.whiteouts >= 3 && r.opaqueDirs === 1, `${d}: ${JSON.stringify(r)}`);
  }
  // btrfs forbids hard links between subvolumes (EXDEV); the clones share every data extent.
  assert.ok(m('btrfs').report.materialise.cloned > 20);
  const du = execFileSync('btrfs', ['filesystem', 'du', '-s', '--raw', `${m('btrfs').built.root}/overlay2`]).toString().trim().split('\n').pop()!.trim().split(/\s+/);
  const [total, exclusive] = [Number(du[0]), Number(du[1])];
  assert.ok(total > 1_000_000 && exclusive < total / 100, `overlay2 on btrfs: ${total} bytes, ${exclusive} exclusive`);
  const root = m('vfs').built.root;
  const busybox = `${root}/overlay2/${m('vfs').built.ids.get('base')}/diff/bin/busybox`;
  assert.equal(lstatSync(busybox).ino, lstatSync(`${root}/vfs/dir/${m('vfs').built.ids.get('base')}/bin/busybox`).ino);
});

test('every entry of a full-tree diff dir is the tree\'s own, mtime to the nanosecond; container whiteouts take the time of the directory that lost the entry', () => {
  for (const d of ['overlay', 'vfs', 'btrfs'] as const) {
    const { built, report, ctr } = m(d);
    for (const row of report.layers.filter((l) => !l.sameAs))
      assert.deepEqual(fullTreeDiffProblems(layerPath(built.root, d, row.v1Id), `${built.root}/overlay2/${row.cacheId ?? row.v1Id}/diff`, 'any'), [], `${d} ${row.v1Id}`);
    for (const layer of [`${ctr.id}-init`, ctr.id]) {
      const tree = d === 'overlay' ? `${built.root}/overlay/${layer}/upper` : layerPath(built.root, d, layer);
      assert.deepEqual(fullTreeDiffProblems(tree, `${built.root}/overlay2/${layer}/diff`, d === 'overlay' ? 'copied' : 'dir-time'), [], `${d} ${layer}`);
    }
    const dirs = [...treeFacts(`${built.root}/overlay2/${ctr.id}/diff`).values()].filter((f) => f.type === 'dir');
    assert.ok(dirs.length >= 3 && dirs.every((f) => BigInt(f.mtimeNs) % 1000n !== 0n), `${d}: sub-microsecond directory times in the fixture`);
  }
});

test('the legacy data is unchanged on every driver', () => {
  for (const d of DRIVERS) assert.deepEqual(diffSnapshots(m(d).legacyBefore, m(d).legacyAfter), [], d);
});

for (const d of ['overlay', 'vfs', 'btrfs'] as const) {
  describe(`dockerd 20.10 on the migrated ${d} root`, () => {
    let dockerd: Awaited<ReturnType<typeof startDockerd>>;
    before(async () => {
      dockerd = await startDockerd(m(d).built.root, join(work, `state-${d}`), `cas-drv-${d}`);
    });
    after(async () => dockerd?.stop());

    test('every image has the tag, ID and merged filesystem it had', async () => {
      const images = dockerd.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']).trim().split('\n');
      for (const tag of Object.keys(CHAINS)) assert.ok(images.includes(tag), `${tag} in ${images.join(' ')}`);
      for (const [tag, chain] of Object.entries(CHAINS)) {
        const want = await mergedView(chain.map((n) => readFileSync(m(d).built.tars.get(n)!)));
        const cid = dockerd.docker(['create', '--pull', 'never', tag]).trim();
        const got = await exportView(dockerd.dockerRaw(['export', cid]));
        dockerd.docker(['rm', cid]);
        const init = new Set(['.dockerenv', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'etc/mtab', 'proc', 'sys', 'dev']);
        assert.deepEqual(viewProblems(want, got, { skip: (p) => init.has(p) || p.startsWith('dev/'), ignoreMtime: (p) => p === 'etc' }), [], `${d} ${tag}`);
      }
    });

    test('the stopped container is there with its writable layer, and runs', async () => {
      const c = m(d).ctr;
      assert.match(dockerd.docker(['ps', '-a', '--format', '{{.Names}} {{.Image}} {{.State}}']), /^keeper retype:a exited$/m);
      const want = await mergedView([...CHAINS['retype:a'].map((n) => readFileSync(m(d).built.tars.get(n)!)), readFileSync(c.initTar), readFileSync(c.rwTar)]);
      const got = await exportView(dockerd.dockerRaw(['export', c.id]));
      assert.deepEqual(viewProblems(want, got), [], d);
      assert.ok(!got.has('usr/share/data/big.bin') && got.has('data/notes-link') && !got.has('etc/passwd'));
      assert.equal(dockerd.startStopped('keeper'), 'written by the container\n');
    });
  });
}

test('several legacy drivers in one root are refused until --driver picks one', () => {
  const root = m('vfs').built.root;
  mkdirSync(join(root, 'overlay', m('vfs').built.ids.get('base')!, 'root'), { recursive: true });
  try {
    const r = runCli(['--root', root, '--dry-run']);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /error: .*data for several legacy drivers found \(overlay, vfs\); choose one with --driver/);
    const picked = runCli(['--root', root, '--dry-run', '--driver', 'vfs', '--json']);
    const audit = JSON.parse(picked.stdout);
    assert.equal(audit.summary.driver, 'vfs', picked.stderr);
    assert.equal(audit.summary.v1Layers, m('vfs').built.ids.size);
  } finally {
    rmSync(join(root, 'overlay'), { recursive: true });
  }
});

test('volume data under vfs/dir (Docker ≤ 1.6) does not make an overlay root look like a second driver', () => {
  const root = m('overlay').built.root;
  mkdirSync(join(root, 'vfs', 'dir', 'f'.repeat(64)), { recursive: true });
  writeFileSync(join(root, 'vfs', 'dir', 'f'.repeat(64), 'data.db'), 'volume');
  try {
    const r = runCli(['--root', root, '--dry-run', '--json']);
    assert.equal(JSON.parse(r.stdout).summary.driver, 'overlay', r.stdout.slice(0, 2000));
  } finally {
    rmSync(join(root, 'vfs'), { recursive: true });
  }
});

test('devicemapper and zfs roots are refused with one line that says what to do instead', () => {
  for (const d of ['devicemapper', 'zfs']) {
    const root = join(work, `${d}-root`);
    mkdirSync(join(root, 'graph', 'a'.repeat(64)), { recursive: true });
    mkdirSync(join(root, d, 'metadata'), { recursive: true });
    // devicemapper's per-device record (devInfo); zfs keeps nothing but a non-empty zfs/
    writeFileSync(join(root, d, 'metadata', 'a'.repeat(64)), '{"device_id":7,"size":10737418240,"transaction_id":8,"initialized":false,"deleted":false}');
    const r = runCli(['--root', root]);
    assert.equal(r.status, 1, d);
    const lines = r.stderr.trim().split('\n').filter((l) => l.includes('error'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`${d}: the ${d} driver is not supported: .*docker save.*--driver vfs \\(docs/drivers.md\\)`));
    assert.deepEqual(readdirSync(root).sort(), ['graph', d].sort(), 'nothing written');
  }
});
