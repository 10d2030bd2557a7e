// Names that are not UTF-8 (latin-1 names from old images) must migrate, not fail: directories,
// files, whiteouts and opaque markers, with their xattrs, through Path A, judged by Go tar-split
// and by dockerd's export.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildLegacyAufsRoot, sha256File, type BuiltRoot } from '../helpers/legacy-root.js';
import { goAssembleDigest, layerDirs, runCli } from '../helpers/cli.js';
import { startDockerd } from '../helpers/dockerd.js';
import { exportView, mergedView, viewProblems } from '../helpers/tarview.js';
import type { MigrationReport } from '../../src/report/types.js';

const cafe = Buffer.from('caf\xe9', 'latin1'), naive = Buffer.from('na\xefve.txt', 'latin1');
const cat = (...parts: Array<Buffer | string>) => Buffer.concat(parts.map((p) => Buffer.from(p)));
let work: string, b: BuiltRoot, report: MigrationReport;

before(() => {
  work = mkdtempSync('/tmp/cas-nonutf8-');
  const bb = readFileSync('/usr/bin/busybox');
  b = buildLegacyAufsRoot(join(work, 'docker'), join(work, 'scratch'), {
    layers: [
      {
        name: 'base', writer: 'gnu',
        ops: [
          { file: 'bin/busybox', content: bb, mode: 0o755 }, { symlink: 'bin/sh', target: 'busybox' },
          { rawDir: cafe }, { rawFile: cat(cafe, '/menu'), content: 'croissant\n' }, { rawXattr: cafe, name: 'user.origin', hex: 'e9' },
          { rawFile: naive, content: 'old\n' }, { rawFile: cat(cafe, '/old'), content: 'hidden by the opaque dir\n' },
        ],
      },
      {
        name: 'child', parent: 'base', writer: 'gnu-pax', cmd: ['sh'],
        ops: [{ rawFile: cat('.wh.', naive) }, { rawDir: cafe }, { rawFile: cat(cafe, '/.wh..wh..opq') }, { rawFile: cat(cafe, '/new'), content: 'new\n' }],
      },
    ],
    tags: { latin: { one: 'child' } },
  });
  const r = runCli(['--root', b.root, '--json']);
  assert.equal(r.status, 0, r.stderr);
  report = JSON.parse(r.stdout) as MigrationReport;
});
after(() => rmSync(work, { recursive: true, force: true }));

const xattr = (p: Buffer, name: string) =>
  execFileSync('python3', ['-c', 'import os,sys; v=os.getxattr(bytes.fromhex(sys.argv[1]), sys.argv[2], follow_symlinks=False); print(v.hex())', p.toString('hex'), name]).toString().trim();

test('layers with non-UTF-8 names take Path A with the original DiffIDs and reassemble with Go tar-split', () => {
  for (const n of ['base', 'child']) {
    const row = report.layers.find((l) => l.v1Id === b.ids.get(n))!;
    assert.equal(row.path, 'A', n);
    assert.equal(row.diffId, sha256File(b.tars.get(n)!), n);
  }
  for (const hex of layerDirs(b.root)) assert.equal(goAssembleDigest(b.root, hex), readFileSync(join(b.root, 'image/overlay2/layerdb/sha256', hex, 'diff'), 'utf8'));
});

test('the whiteout, the opaque marker and the xattrs of non-UTF-8 names are converted', () => {
  const child = cat(b.root, '/overlay2/', b.ids.get('child')!, '/diff/');
  const wh = lstatSync(cat(child, naive));
  assert.ok(wh.isCharacterDevice() && wh.rdev === 0);
  assert.equal(xattr(cat(child, cafe), 'trusted.overlay.opaque'), '79');
  assert.equal(xattr(cat(b.root, '/overlay2/', b.ids.get('base')!, '/diff/', cafe), 'user.origin'), 'e9');
});

test('dockerd 20.10 shows the same merged tree as the legacy union', async () => {
  const d = await startDockerd(b.root, join(work, 'state'), 'cas-nonutf8');
  try {
    const cid = d.docker(['create', '--pull', 'never', 'latin:one']).trim();
    const got = await exportView(d.dockerRaw(['export', cid]));
    const want = await mergedView(['base', 'child'].map((n) => readFileSync(b.tars.get(n)!)));
    const INIT = new Set(['.dockerenv', 'etc', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'etc/mtab', 'dev', 'dev/console', 'dev/pts', 'dev/shm', 'proc', 'sys']);
    assert.deepEqual(viewProblems(want, got, { skip: (p) => INIT.has(p) }), []);
    // The opaque marker hides the base layer's café/menu and café/old; the whiteout hides naïve.txt.
    assert.deepEqual([...want.keys()].filter((k) => /new|menu|old|ve\.txt/.test(k)).map((k) => k.split('/').pop()), ['new']);
  } finally {
    await d.stop();
  }
});
