// Broken legacy roots: each defect gives one error line naming the layer and the file, a
// non-zero exit, nothing visible to dockerd and the legacy data untouched; a CRC mismatch
// falls back to Path B with a warning, as Docker did.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, utimesSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { buildLegacyAufsRoot, sha256File, v1IdFor, type BuiltRoot } from '../helpers/legacy-root.js';
import { diffSnapshots, snapshotEntries } from '../helpers/snapshot.js';
import { goAssembleDigest, layerDirs, runCli } from '../helpers/cli.js';
import type { MigrationReport } from '../../src/report/types.js';

const work = mkdtempSync('/tmp/cas-bad-');
after(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
function tinyRoot(): BuiltRoot {
  const dir = join(work, `r${n++}`);
  return buildLegacyAufsRoot(join(dir, 'docker'), join(dir, 'scratch'), {
    layers: [
      {
        name: 'base', writer: 'gnu',
        ops: [{ file: 'etc/conf', content: 'abc\n' }, { file: 'dir/sub/file', content: 'data\n' }, { file: 'bin/tool', content: 'tool\n', mode: 0o755 }],
      },
      { name: 'child', parent: 'base', writer: 'bsdtar', ops: [{ file: 'app/main', content: 'main\n' }, { file: 'etc/conf2', content: 'x\n' }] },
    ],
    tags: { app: { latest: 'child' } },
  });
}

const snapshotLegacy = (root: string) => snapshotEntries(root, ['graph', 'aufs', 'repositories-aufs']);

/** Run the CLI on a broken root and check the common promises of a refused migration. */
function expectRefused(b: BuiltRoot, ...mustMention: string[]): string {
  const before = snapshotLegacy(b.root);
  const r = runCli(['--root', b.root]);
  assert.equal(r.status, 1, `exit code; stderr: ${r.stderr}`);
  const errors = r.stderr.split('\n').filter((l) => /error/i.test(l));
  assert.equal(errors.length, 1, r.stderr);
  for (const m of mustMention) assert.ok(errors[0]!.includes(m), `error line should name ${m}: ${errors[0]}`);
  for (const p of ['image/overlay2', 'overlay2', '.cas-migrate-staging']) assert.ok(!existsSync(join(b.root, p)), `${p} must not exist`);
  assert.deepEqual(diffSnapshots(before, snapshotLegacy(b.root)), []);
  return errors[0]!;
}

test('a file whose content changed since the pull (CRC mismatch) falls back to Path B with a warning', () => {
  const b = tinyRoot();
  const base = b.ids.get('base')!;
  const f = join(b.root, 'aufs/diff', base, 'etc/conf');
  const st = statSync(f);
  writeFileSync(f, 'abd\n');
  utimesSync(f, st.atime, st.mtime);
  const r = runCli(['--root', b.root, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as MigrationReport;
  const row = report.layers.find((l) => l.v1Id === base)!;
  assert.equal(row.path, 'B');
  assert.notEqual(row.diffId, sha256File(b.tars.get('base')!));
  const w = report.findings.find((x) => x.v1Id === base)!;
  assert.match(w.message, /file integrity checksum failed for "\.\/etc\/conf"/);
  assert.equal(w.file, join(b.root, 'graph', base, 'tar-data.json.gz'));
  assert.match(r.stderr, /warning: .*tar-data\.json\.gz.*etc\/conf/);
  for (const hex of layerDirs(b.root)) assert.equal(goAssembleDigest(b.root, hex), readFileSync(join(b.root, 'image/overlay2/layerdb/sha256', hex, 'diff'), 'utf8'));
});

test('a missing parent stops the migration, naming the layer and its parent file', () => {
  const b = tinyRoot();
  const child = b.ids.get('child')!;
  writeFileSync(join(b.root, 'graph', child, 'parent'), v1IdFor('nowhere'));
  expectRefused(b, child, join(b.root, 'graph', child, 'parent'), 'does not exist');
});

test('a parent cycle stops the migration', () => {
  const b = tinyRoot();
  writeFileSync(join(b.root, 'graph', b.ids.get('base')!, 'parent'), b.ids.get('child')!);
  const line = expectRefused(b, 'cycle');
  assert.match(line, /layer [a-f0-9]{64}: \/.*\/graph\/[a-f0-9]{64}\/parent/);
});

test('invalid v1 JSON stops the migration, naming graph/<id>/json', () => {
  const b = tinyRoot();
  const child = b.ids.get('child')!;
  writeFileSync(join(b.root, 'graph', child, 'json'), '{"id":');
  expectRefused(b, child, join(b.root, 'graph', child, 'json'), 'invalid JSON');
});

test('a tar-data entry that climbs out with ../ is refused, not read', () => {
  const b = tinyRoot();
  const child = b.ids.get('child')!;
  const td = join(b.root, 'graph', child, 'tar-data.json.gz');
  const text = gunzipSync(readFileSync(td)).toString().replace('"name":"app/main"', '"name":"../../../../../../etc/hostname"');
  assert.match(text, /etc\/hostname/);
  writeFileSync(td, gzipSync(text));
  expectRefused(b, child, td, '../../../../../../etc/hostname', 'climbs out');
});

test('a diff-dir file replaced by a symlink pointing outside the layer is refused', () => {
  const b = tinyRoot();
  const child = b.ids.get('child')!;
  const f = join(b.root, 'aufs/diff', child, 'app/main');
  rmSync(f);
  symlinkSync('/etc/hostname', f);
  expectRefused(b, child, 'app/main', 'symlink');
});

test('a diff-dir directory replaced by a symlink pointing outside the layer is refused', () => {
  const b = tinyRoot();
  const base = b.ids.get('base')!;
  const d = join(b.root, 'aufs/diff', base, 'dir');
  rmSync(d, { recursive: true });
  symlinkSync('/etc', d);
  expectRefused(b, base, 'dir/sub/file', 'symlink');
});

test('a root that is not a legacy root is refused with one line', () => {
  const dir = join(work, 'empty');
  rmSync(dir, { recursive: true, force: true });
  writeFileSync(join(work, 'placeholder'), '');
  const r = runCli(['--root', join(work, 'nope')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error: .*nope: not a directory/);
});

test('truncated and garbage tar-data fall back to Path B with a warning, and stop the migration under --strict', () => {
  for (const [what, damage] of [
    ['truncated', (d: Buffer) => d.subarray(0, Math.floor(d.length / 2))],
    ['garbage', (d: Buffer) => Buffer.from(d.map((_, i) => (i * 151 + 7) & 0xff))],
  ] as const) {
    const b = tinyRoot();
    const child = b.ids.get('child')!;
    const td = join(b.root, 'graph', child, 'tar-data.json.gz');
    writeFileSync(td, damage(readFileSync(td)));
    const strict = runCli(['--root', b.root, '--strict']);
    assert.equal(strict.status, 1, what);
    assert.match(strict.stderr, new RegExp(`error: layer ${child}: ${td}: unusable \\(--strict\\)`), what);
    assert.ok(!existsSync(join(b.root, 'image')), what);
    const r = runCli(['--root', b.root, '--json']);
    assert.equal(r.status, 0, `${what}: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as MigrationReport;
    assert.equal(report.layers.find((l) => l.v1Id === child)!.path, 'B', what);
    assert.ok(report.findings.some((f) => f.v1Id === child && f.file === td && /Path B/.test(f.message)), what);
    for (const hex of layerDirs(b.root)) assert.equal(goAssembleDigest(b.root, hex), readFileSync(join(b.root, 'image/overlay2/layerdb/sha256', hex, 'diff'), 'utf8'));
  }
});

test('a gzip bomb in tar-data (a 256 MiB line) is refused by the bounded reader and the layer regenerated', () => {
  const b = tinyRoot();
  const child = b.ids.get('child')!;
  const td = join(b.root, 'graph', child, 'tar-data.json.gz');
  writeFileSync(td, gzipSync(Buffer.alloc(256 << 20, 0x41), { level: 9 }));
  const r = runCli(['--root', b.root, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as MigrationReport;
  assert.ok(report.findings.some((f) => f.v1Id === child && /exceeds/.test(f.message)), JSON.stringify(report.findings));
});

test('a json whose id is not its directory, and a graph entry that is not a v1 id, stop the migration naming the file', () => {
  const b = tinyRoot();
  const child = b.ids.get('child')!;
  const jsonFile = join(b.root, 'graph', child, 'json');
  writeFileSync(jsonFile, readFileSync(jsonFile, 'utf8').replace(child, 'f'.repeat(64)));
  expectRefused(b, child, jsonFile, '"id" is');
  const c = tinyRoot();
  execFileSync('mkdir', [join(c.root, 'graph', 'not-an-id')]);
  expectRefused(c, join(c.root, 'graph', 'not-an-id'), 'not a v1 id');
});

test('an empty root and a root whose data is in another driver than --driver says are refused with one line', () => {
  const empty = join(work, 'empty-root');
  execFileSync('mkdir', ['-p', empty]);
  const r = runCli(['--root', empty]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error: .*empty-root\/graph: no legacy graph directory/);
  const b = tinyRoot();
  const w = runCli(['--root', b.root, '--driver', 'overlay']);
  assert.equal(w.status, 1);
  assert.match(w.stderr, /--driver overlay given but the root holds no overlay data \(found: aufs\)/);
});
