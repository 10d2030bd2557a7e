// CAS-era roots (Docker 1.10–23) written by a real dockerd 20.10 on the legacy overlay and vfs
// drivers, and an aufs one laid out from the overlay root as moby's aufs driver left it, are
// migrated to overlay2 and judged by dockerd 20.10: every image under its original ID, every
// tag, `docker save` byte-identical to the source daemon's, image and container exports equal to
// the source daemon's, logs, start; Go tar-split asm over every diff dir reproduces its DiffID;
// the source is untouched; kill -9 and a rerun end in the same tree; a layer whose data changed
// stops the run naming it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { aufsFromOverlay, buildCasRoot, type BuiltCasRoot, type CasRootSpec } from '../helpers/cas-root.js';
import { goAssembleDigest, layerDirs, runCli } from '../helpers/cli.js';
import { startDockerd, type Dockerd } from '../helpers/dockerd.js';
import { exportView, readTar, viewProblems } from '../helpers/tarview.js';
import { describeMigration, treeFacts } from '../helpers/tree-facts.js';
import { killsThenReruns } from '../helpers/kills.js';
import { diffSnapshots, snapshotEntries } from '../helpers/snapshot.js';
import type { MigrationReport } from '../../src/report/types.js';

const BB = readFileSync('/usr/bin/busybox');
const INIT = new Set(['.dockerenv', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'etc/mtab', 'dev/console', 'dev/pts', 'dev/shm', 'proc', 'sys', 'dev']);
const SPEC: CasRootSpec = {
  layers: [
    {
      name: 'base', writer: 'gnu', ops: [
        { file: 'bin/busybox', content: BB, mode: 0o755 }, { symlink: 'bin/sh', target: 'busybox' },
        { file: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' }, { file: 'etc/motd', content: 'base\n' },
        { dir: 'home/user', uid: 1000, gid: 1000, mode: 0o750 }, { file: 'home/user/notes', content: 'mine\n', uid: 1000, gid: 1000 },
        { dir: 'opt/app/old' }, { file: 'opt/app/old/x', content: 'old\n' }, { fifo: 'run/fifo' },
        { file: 'usr/share/big.bin', content: Buffer.alloc(200_000, 3) }, { hardlink: 'usr/share/big-link.bin', target: 'usr/share/big.bin' },
      ],
    },
    {
      name: 'app', writer: 'bsdtar', ops: [
        { whiteout: 'etc/motd' }, { dir: 'opt/app' }, { opaque: 'opt/app' }, { file: 'opt/app/new', content: 'new\n' },
        { file: 'srv/café.txt', content: 'unicode\n' }, { symlink: 'srv/link', target: '/etc/passwd' },
      ],
    },
    { name: 'tool', writer: 'gnu-pax', ops: [{ file: 'usr/local/bin/tool', content: '#!/bin/sh\necho tool\n', mode: 0o755 }, { xattr: 'usr/local/bin/tool', name: 'user.origin', hex: '6c6567' }, { whiteout: 'home/user' }] },
  ],
  images: [
    { tags: ['cas/base:1'], layers: ['base'], cmd: ['/bin/busybox', 'sh'] },
    { tags: ['cas/app:2', 'cas/app:latest'], layers: ['base', 'app'], cmd: ['/bin/busybox', 'cat', '/opt/app/new'] },
    { tags: ['example.com:5000/team/tool:3'], layers: ['base', 'app', 'tool'], cmd: ['/usr/local/bin/tool'] },
  ],
};
const CONTAINERS = [
  { name: 'keeper', image: 'example.com:5000/team/tool:3', cmd: ['/bin/busybox', 'cat', '/srv/notes'], cp: { '/srv/notes': 'written into the stopped container\n' } },
  { name: 'runner', image: 'cas/app:2', cmd: ['/bin/busybox', 'sh', '-c', 'echo started; rm /etc/passwd; mkdir -p /var/lib/x; echo y > /var/lib/x/y'], run: true },
];

let work: string;
const masters = new Map<string, BuiltCasRoot>();
const migrated = new Map<string, { root: string; report: MigrationReport; sourceBefore: Map<string, string>; sourceAfter: Map<string, string> }>();
const DRIVERS = ['overlay', 'vfs', 'aufs'] as const;
const sourceEntries = (d: string) => [`image/${d}`, d, 'containers'];

before(async () => {
  work = mkdtempSync('/tmp/cas-era-');
  for (const d of ['overlay', 'vfs'] as const) {
    const scratch = join(work, `scratch-${d}`);
    mkdirSync(scratch, { recursive: true });
    const b = await buildCasRoot(join(work, `master-${d}`), scratch, d, SPEC, CONTAINERS);
    masters.set(d, b);
    pulledFrom(b, 'cas/app', b.imageIds.get('cas/app:2')!);
  }
  // The layer tars by DiffID, from the source daemon's own `docker save`.
  const tarDir = join(work, 'layer-tars');
  mkdirSync(tarDir);
  for (const save of masters.get('overlay')!.saves.values())
    for (const e of await readTar(save)) if (e.name.endsWith('/layer.tar')) writeFileSync(join(tarDir, e.sha!), e.body);
  masters.set('aufs', aufsFromOverlay(masters.get('overlay')!, join(work, 'master-aufs'), (diffId) => join(tarDir, diffId.slice(7))));
  for (const d of DRIVERS) {
    const root = join(work, d);
    execFileSync('cp', ['-a', masters.get(d)!.root, root]);
    const sourceBefore = snapshotEntries(root, sourceEntries(d));
    const r = runCli(['--root', root, '--json']);
    assert.equal(r.status, 0, `${d}: ${r.stderr}`);
    migrated.set(d, { root, report: JSON.parse(r.stdout) as MigrationReport, sourceBefore, sourceAfter: snapshotEntries(root, sourceEntries(d)) });
  }
});
after(() => rmSync(work, { recursive: true, force: true }));

const m = (d: string) => migrated.get(d)!;
const BLOB = 'sha256:' + 'b1'.repeat(32), DIGEST_REF = 'cas/app@sha256:' + 'd1'.repeat(32);

/**
 * What a registry pull adds that `docker load` cannot: a digest reference in repositories.json
 * (dockerd writes it sorted, as Go's json.Marshal of a map) and distribution metadata for a layer.
 */
function pulledFrom(b: BuiltCasRoot, repo: string, imageId: string): void {
  const store = join(b.root, 'image', b.driver);
  const refs = JSON.parse(readFileSync(join(store, 'repositories.json'), 'utf8'));
  refs.Repositories[repo][DIGEST_REF] = imageId;
  const sorted = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.keys(o).sort().map((k) => [k, typeof o[k] === 'object' ? sorted(o[k] as Record<string, unknown>) : o[k]]));
  writeFileSync(join(store, 'repositories.json'), JSON.stringify(sorted(refs)));
  const diffId = JSON.parse(readFileSync(join(store, 'imagedb/content/sha256', imageId.slice(7)), 'utf8')).rootfs.diff_ids[0];
  for (const d of ['diffid-by-digest', 'v2metadata-by-diffid']) mkdirSync(join(store, 'distribution', d, 'sha256'), { recursive: true });
  writeFileSync(join(store, 'distribution/diffid-by-digest/sha256', BLOB.slice(7)), diffId);
  writeFileSync(join(store, 'distribution/v2metadata-by-diffid/sha256', diffId.slice(7)), JSON.stringify([{ Digest: BLOB, SourceRepository: `docker.io/${repo}`, HMAC: '' }]));
}

test('the dry run names a CAS-era root for what it is and would migrate it cleanly', () => {
  for (const d of DRIVERS) {
    const r = runCli(['--root', masters.get(d)!.root, '--dry-run', '--checksum']);
    assert.equal(r.status, 0, `${d}: ${r.stdout}`);
    assert.match(r.stdout, new RegExp(`CAS-era root \\(Docker 1\\.10–23\\) · driver ${d} · 3 layers · 3 images`));
    assert.match(r.stdout, /IDs are kept; every layer is proven/);
  }
});

test('every layer is proven (Path A over the source data) and keeps its DiffID, ChainID and cache id', () => {
  for (const d of DRIVERS) {
    const { report, root } = m(d);
    assert.equal(report.medium, 'cas');
    assert.equal(report.layers.length, 3, d);
    assert.ok(report.layers.every((l) => l.path === 'A' && l.bytes > 0), d);
    for (const l of report.layers) {
      const src = join(root, `image/${d}/layerdb/sha256`, l.chainId.slice(7));
      const dst = join(root, 'image/overlay2/layerdb/sha256', l.chainId.slice(7));
      for (const f of ['diff', 'size', 'cache-id', 'parent', 'tar-split.json.gz'])
        if (existsSync(join(src, f)) || f !== 'parent') assert.deepEqual(readFileSync(join(dst, f)), readFileSync(join(src, f)), `${d} ${l.chainId} ${f}`);
      assert.ok(existsSync(join(root, 'overlay2', l.cacheId!, 'diff')), `${d}: overlay2 dir under the same cache id`);
    }
  }
});

test('the image store is carried over byte for byte: configs, parents, repositories.json', () => {
  for (const d of DRIVERS) {
    const { root } = m(d);
    const strip = (f: Map<string, unknown>) => JSON.stringify([...f].map(([k, v]) => [k, { ...(v as object), sameInode: [] }]));
    assert.equal(strip(treeFacts(join(root, 'image/overlay2/imagedb'))), strip(treeFacts(join(root, `image/${d}/imagedb`))), d);
    assert.deepEqual(readFileSync(join(root, 'image/overlay2/repositories.json')), readFileSync(join(root, `image/${d}/repositories.json`)), d);
    assert.ok(readFileSync(join(root, 'image/overlay2/repositories.json'), 'utf8').includes(DIGEST_REF));
    assert.equal(strip(treeFacts(join(root, 'image/overlay2/distribution'))), strip(treeFacts(join(root, `image/${d}/distribution`))), d);
  }
});

test('Go tar-split asm over every overlay2 diff dir reproduces its recorded DiffID; cas-migrate verify finds the store sound', () => {
  for (const d of DRIVERS) {
    for (const hex of layerDirs(m(d).root))
      assert.equal(goAssembleDigest(m(d).root, hex), readFileSync(join(m(d).root, 'image/overlay2/layerdb/sha256', hex, 'diff'), 'utf8'), `${d} ${hex}`);
    const v = runCli(['verify', '--root', m(d).root, '--json']);
    assert.equal(v.status, 0, `${d}: ${v.stdout}`);
    assert.equal(JSON.parse(v.stdout).mounts, 2);
  }
});

test('the source is untouched but for config.v2.json ("Driver": "overlay2", the original kept beside it)', () => {
  for (const d of DRIVERS) {
    const changed = diffSnapshots(m(d).sourceBefore, m(d).sourceAfter).filter((x) => !/\/config\.v2\.json(\.pre-cas-migrate)?: /.test(x));
    assert.deepEqual(changed, [], d);
    for (const c of masters.get(d)!.containers.values()) {
      const dir = join(m(d).root, 'containers', c.id);
      assert.equal(JSON.parse(readFileSync(join(dir, 'config.v2.json'), 'utf8')).Driver, 'overlay2');
      assert.equal(JSON.parse(readFileSync(join(dir, 'config.v2.json.pre-cas-migrate'), 'utf8')).Driver, d);
      assert.equal(readFileSync(join(dir, 'config.v2.json'), 'utf8'), readFileSync(join(dir, 'config.v2.json.pre-cas-migrate'), 'utf8').replace(`"Driver":"${d}"`, '"Driver":"overlay2"'));
    }
  }
});

for (const d of DRIVERS) {
  describe(`dockerd 20.10 on overlay2 judges the migrated CAS-era ${d} root`, () => {
    let dockerd: Dockerd;
    const src = () => masters.get(d)!;
    before(async () => {
      dockerd = await startDockerd(m(d).root, join(work, `judge-${d}`), `cas-judge-${d}`);
    });
    after(async () => dockerd?.stop());

    test('every image under its original ID and tag, and docker save byte-identical to the source daemon\'s', async () => {
      for (const [tag, id] of src().imageIds) {
        assert.equal(dockerd.docker(['image', 'inspect', '--format', '{{.Id}}', tag]).trim(), id, tag);
        const want = await readTar(src().saves.get(tag)!), got = await readTar(dockerd.dockerRaw(['save', tag]));
        const files = (es: typeof want) => es.filter((e) => e.header.type === 'file').map((e) => `${e.name} ${e.sha}`).sort();
        assert.deepEqual(files(got), files(want), tag);
      }
      assert.deepEqual(new Set(dockerd.docker(['images', '-q', '--no-trunc']).trim().split('\n')), new Set(src().imageIds.values()));
      assert.match(dockerd.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', 'cas/app:2']), new RegExp(DIGEST_REF.replace('@', '@')));
    });

    test('image and container exports equal the source daemon\'s; logs are kept; a container starts', async () => {
      for (const [tag, exp] of src().imageExports) {
        const cid = dockerd.docker(['create', '--pull', 'never', tag]).trim();
        const got = await exportView(dockerd.dockerRaw(['export', cid]));
        dockerd.docker(['rm', cid]);
        // The init layer is made anew by each `docker create`: its entries carry that moment's time.
        assert.deepEqual(viewProblems(await exportView(exp), got, { ignoreMtime: (p) => INIT.has(p) || p === 'etc' || p === 'dev' }), [], tag);
      }
      const ps = dockerd.docker(['ps', '-a', '--format', '{{.Names}} {{.Image}}']).trim().split('\n').sort();
      assert.deepEqual(ps, ['keeper example.com:5000/team/tool:3', 'runner cas/app:2']);
      for (const [name, c] of src().containers) {
        assert.deepEqual(viewProblems(await exportView(c.export), await exportView(dockerd.dockerRaw(['export', c.id]))), [], name);
        assert.equal(dockerd.docker(['logs', c.id]), c.logs, name);
      }
      assert.equal(src().containers.get('runner')!.logs, 'started\n');
      assert.equal(dockerd.startStopped('keeper'), 'written into the stopped container\n');
    });
  });
}

test('kill -9 at random moments of a CAS migration, then a rerun, ends in exactly the uninterrupted tree', async () => {
  const run = join(work, 'kill-vfs'); // one path for every run: configs hold absolute paths
  const restore = () => {
    rmSync(run, { recursive: true, force: true });
    execFileSync('cp', ['-a', masters.get('vfs')!.root, run]);
  };
  restore();
  assert.equal(runCli(['--root', run, '-q']).status, 0);
  const interrupted = await killsThenReruns(run, restore, describeMigration(run), 8, 7);
  assert.ok(interrupted >= 4, `only ${interrupted} of 8 kills landed during a migration`);
});

test('a layer whose files changed since the daemon recorded it stops the run, naming the layer and the file; nothing is written', () => {
  const root = join(work, 'tampered');
  execFileSync('cp', ['-a', masters.get('aufs')!.root, root]);
  const hex = readdirSync(join(root, 'image/aufs/layerdb/sha256')).find((h) => !existsSync(join(root, 'image/aufs/layerdb/sha256', h, 'parent')))!;
  const cacheId = readFileSync(join(root, 'image/aufs/layerdb/sha256', hex, 'cache-id'), 'utf8');
  appendFileSync(join(root, 'aufs/diff', cacheId, 'etc/passwd'), 'intruder\n');
  const r = runCli(['--root', root]);
  assert.equal(r.status, 1, r.stdout);
  const lines = r.stderr.trim().split('\n').filter((l) => l.includes('error'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, new RegExp(`cas-migrate: error: layer ${cacheId}: .*tar-split\\.json\\.gz.*etc/passwd`));
  assert.ok(!existsSync(join(root, 'image/overlay2')) && !existsSync(join(root, 'overlay2')));
});

test('a root holding both a pre-1.10 graph/ and a CAS store is migrated from the store, and says graph/ is a leftover', () => {
  const root = join(work, 'both');
  execFileSync('cp', ['-a', masters.get('overlay')!.root, root]);
  mkdirSync(join(root, 'graph', 'a'.repeat(64)), { recursive: true });
  writeFileSync(join(root, 'graph', 'a'.repeat(64), 'json'), '{"id":"' + 'a'.repeat(64) + '"}');
  const r = runCli(['--root', root, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as MigrationReport;
  assert.equal(report.medium, 'cas');
  assert.equal(report.images.length, 3);
  assert.ok(report.findings.some((f) => f.file === join(root, 'graph') && /left over from the in-place migration/.test(f.message)));
});

test('CAS-era devicemapper and zfs stores keep their refusal, btrfs needs no migration: one line each', () => {
  for (const d of ['devicemapper', 'zfs', 'btrfs']) {
    const root = join(work, `cas-${d}`);
    mkdirSync(join(root, 'image', d, 'layerdb/sha256', 'c'.repeat(64)), { recursive: true });
    const r = runCli(['--root', root, '-q']);
    assert.equal(r.status, 1, d);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^cas-migrate: error: ${join(root, 'image', d)}: a CAS-era ${d} root is not supported: ${d === 'btrfs' ? 'current dockerd still runs the btrfs driver' : '.*docker save'}`));
    assert.deepEqual(readdirSync(root), ['image'], 'nothing written');
  }
});

test('a rerun on a CAS-era root is a sync: up to date when unchanged, and an rm and an rmi since are followed exactly', () => {
  const root = join(work, 'cas-sync');
  execFileSync('cp', ['-a', masters.get('vfs')!.root, root]);
  assert.equal(runCli(['--root', root, '-q']).status, 0);
  assert.match(runCli(['--root', root]).stdout, /^Up to date: /);
  // docker rm runner; docker rmi cas/base:1 (the image goes, its layer stays for the others)
  const runner = masters.get('vfs')!.containers.get('runner')!.id;
  const mounts = join(root, 'image/vfs/layerdb/mounts', runner);
  const mountId = readFileSync(join(mounts, 'mount-id'), 'utf8');
  for (const p of [join(root, 'containers', runner), mounts, join(root, 'vfs/dir', mountId), join(root, 'vfs/dir', `${mountId}-init`)]) rmSync(p, { recursive: true, force: true });
  const reposFile = join(root, 'image/vfs/repositories.json');
  const refs = JSON.parse(readFileSync(reposFile, 'utf8'));
  const baseId = refs.Repositories['cas/base']['cas/base:1'];
  delete refs.Repositories['cas/base'];
  writeFileSync(reposFile, JSON.stringify(refs));
  rmSync(join(root, 'image/vfs/imagedb/content/sha256', baseId.slice(7)));
  const r = runCli(['--root', root, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = (JSON.parse(r.stdout) as MigrationReport).sync!;
  assert.deepEqual([s.containersRemoved, s.layersRemoved, s.layersAdded], [1, 0, 0], JSON.stringify(s));
  assert.deepEqual(s.refsRemoved, ['cas/base:1']);
  assert.ok(!existsSync(join(root, 'overlay2', mountId)) && !existsSync(join(root, 'image/overlay2/layerdb/mounts', runner)));
  // Equal to a fresh migration of the changed root (the source daemon's files put back first).
  const fresh = join(work, 'cas-sync-fresh');
  execFileSync('cp', ['-a', root, fresh]);
  for (const p of ['image/overlay2', 'overlay2', '.cas-migrate.json']) rmSync(join(fresh, p), { recursive: true, force: true });
  for (const c of readdirSync(join(fresh, 'containers'))) {
    const dir = join(fresh, 'containers', c);
    execFileSync('python3', ['-c', 'import os,sys; d=sys.argv[1]; st=os.stat(d); os.replace(d+"/config.v2.json.pre-cas-migrate", d+"/config.v2.json"); os.utime(d, ns=(st.st_atime_ns, st.st_mtime_ns))', dir]);
  }
  assert.equal(runCli(['--root', fresh, '-q']).status, 0);
  assert.equal(describeMigration(root, masters.get('vfs')!.root), describeMigration(fresh, masters.get('vfs')!.root));
});

test('beside the CAS-era daemon (a dockerd on the source driver) a pass is provisional and leaves containers/ alone; a dockerd on overlay2 is refused', async () => {
  const root = join(work, 'cas-online');
  execFileSync('cp', ['-a', masters.get('vfs')!.root, root]);
  const configs = () => readdirSync(join(root, 'containers')).map((c) => readFileSync(join(root, 'containers', c, 'config.v2.json'), 'utf8')).join('\n');
  const before = configs();
  const standIn = (driver: string) => spawn('bash', ['-c', `exec -a dockerd "${process.execPath}" -e 'setTimeout(() => {}, 120000)' -- --data-root ${root} --storage-driver ${driver}`], { stdio: 'ignore' });
  const stop = async (p: ReturnType<typeof spawn>) => {
    p.kill();
    await new Promise((r) => p.on('exit', r));
  };
  const legacy = standIn('vfs');
  try {
    await new Promise((r) => setTimeout(r, 300));
    const r = runCli(['--root', root, '--json']);
    assert.equal(r.status, 5, r.stderr);
    assert.equal((JSON.parse(r.stdout) as MigrationReport).provisional?.daemonPid, legacy.pid);
    assert.equal(configs(), before, 'the source daemon owns config.v2.json while it runs');
    assert.ok(!readdirSync(join(root, 'containers')).some((c) => existsSync(join(root, 'containers', c, 'config.v2.json.pre-cas-migrate'))));
    assert.equal(readdirSync(join(root, 'image/overlay2/layerdb/sha256')).length, 3);
  } finally {
    await stop(legacy);
  }
  const current = standIn('overlay2');
  try {
    await new Promise((r) => setTimeout(r, 300));
    const r = runCli(['--root', root, '-q']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`error: ${root}: a current Docker daemon \\(pid ${current.pid}\\) is using this root`));
  } finally {
    await stop(current);
  }
  const final = runCli(['--root', root, '--json']);
  assert.equal(final.status, 0, final.stderr);
  assert.ok(!configs().includes('"Driver":"vfs"') && configs().includes('"Driver":"overlay2"'));
});

test('rollback restores the source daemon\'s config.v2.json; finalize moves the store and the driver dir aside', () => {
  const root = join(work, 'rb');
  execFileSync('cp', ['-a', masters.get('overlay')!.root, root]);
  const before = snapshotEntries(root, sourceEntries('overlay'));
  assert.equal(runCli(['--root', root, '-q']).status, 0);
  const rb = runCli(['rollback', '--root', root]);
  assert.equal(rb.status, 0, rb.stderr);
  assert.deepEqual(diffSnapshots(before, snapshotEntries(root, sourceEntries('overlay'))), []);
  assert.ok(!existsSync(join(root, 'image/overlay2')));
  assert.equal(runCli(['--root', root, '-q']).status, 0);
  const fin = runCli(['finalize', '--root', root, '--json']);
  assert.equal(fin.status, 0, fin.stderr);
  assert.ok(!existsSync(join(root, 'image/overlay')) && !existsSync(join(root, 'overlay')));
  assert.deepEqual(readdirSync(join(root, 'image')), ['overlay2']);
});
