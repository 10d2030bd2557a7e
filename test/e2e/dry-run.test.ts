// --dry-run: writes nothing, its numbers agree with an independent computation from the original
// layer tars, --checksum agrees with a real migration, every defect is a finding naming its layer
// and file, and --graph draws one node per image and layer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, statSync, utimesSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { buildSample } from '../../samples/build.js';
import { buildLegacyAufsRoot, v1IdFor, type BuiltRoot } from '../helpers/legacy-root.js';
import { addLegacyContainers } from '../helpers/legacy-containers.js';
import { diffSnapshots, snapshotTree } from '../helpers/snapshot.js';
import { runCli } from '../helpers/cli.js';
import { readTar } from '../helpers/tarview.js';
import type { AuditReport } from '../../src/audit/index.js';
import type { MigrationReport } from '../../src/report/types.js';

let work: string, root: string, built: BuiltRoot;
const outside = () => join(work, 'out');

before(async () => {
  work = mkdtempSync('/tmp/cas-dry-');
  root = join(work, 'docker');
  built = buildSample(root, join(work, 'scratch'));
  await addLegacyContainers(built, join(work, 'scratch'), [
    { name: 'app', image: 'cmd', imageRef: 'busybox:latest', cmd: ['true'], rw: [{ file: 'data/a', content: 'x'.repeat(1000) }] },
  ]);
  execFileSync('mkdir', ['-p', outside()]);
});
after(() => rmSync(work, { recursive: true, force: true }));

function dryRun(r: string, ...extra: string[]): { status: number; report: AuditReport; stderr: string } {
  const res = runCli(['--root', r, '--dry-run', '--json', ...extra]);
  assert.ok(res.stdout, res.stderr);
  return { status: res.status, report: JSON.parse(res.stdout) as AuditReport, stderr: res.stderr };
}

test('--dry-run and --dry-run --checksum --graph change nothing under the root', () => {
  const before = snapshotTree(root);
  const a = dryRun(root);
  const b = dryRun(root, '--checksum', '--graph', join(outside(), 'g.svg'));
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  assert.deepEqual(diffSnapshots(before, snapshotTree(root)), []);
});

test('per-image total, shared and unique sizes agree with set arithmetic over the original layer tars', async () => {
  const { report } = dryRun(root);
  // Independent: payload bytes of each original tar (regular files; hard links carry none).
  const layerSize = new Map<string, number>();
  for (const [name, tar] of built.tars) {
    const entries = await readTar(readFileSync(tar));
    layerSize.set(built.ids.get(name)!, entries.filter((e) => e.header.type === 'file').reduce((a, e) => a + e.body.length, 0));
  }
  const chainOf = (name: string): string[] => (name ? [...chainOf(built.specs.get(name)!.parent ?? ''), built.ids.get(name)!] : []);
  const tagged = new Set(['cmd', 'old-layer', 'tool-cmd', 'tool-cmd2', 'tool-extra']);
  const chains = [...tagged].map((n) => ({ id: built.ids.get(n)!, chain: chainOf(n) }));
  const uses = new Map<string, number>();
  for (const c of chains) for (const id of c.chain) uses.set(id, (uses.get(id) ?? 0) + 1);
  assert.equal(report.images.length, chains.length);
  for (const c of chains) {
    const row = report.images.find((i) => i.v1Id === c.id)!;
    const size = c.chain.reduce((a, id) => a + layerSize.get(id)!, 0);
    const shared = c.chain.filter((id) => uses.get(id)! > 1).reduce((a, id) => a + layerSize.get(id)!, 0);
    assert.deepEqual([row.size, row.shared, row.unique, row.layers], [size, shared, size - shared, c.chain.length], row.tags.join(','));
  }
  assert.equal(report.images.find((i) => i.v1Id === built.ids.get('cmd'))!.containers, 1);
  assert.equal(report.summary.containerBytes, 1000);
  assert.equal(report.summary.layerBytes, [...layerSize.values()].reduce((a, b) => a + b, 0));
  assert.equal(report.layers.find((l) => l.v1Id === built.ids.get('old-layer'))!.path, 'B');
  assert.match(report.tree, /└─/);
  assert.ok(report.plan.disk.freeOnTarget! > 0 && report.plan.estimate.sampleMBs! > 0);
});

test('--checksum gives the DiffIDs, ChainIDs and image IDs of a real migration, and names collapsing layers', () => {
  const { report } = dryRun(root, '--checksum');
  const target = join(work, 'real');
  const r = runCli(['--root', root, '--target', target, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const real = JSON.parse(r.stdout) as MigrationReport;
  assert.deepEqual(report.checksum!.layers.map((l) => [l.v1Id, l.diffId, l.chainId]), real.layers.map((l) => [l.v1Id, l.diffId, l.chainId]));
  assert.deepEqual(report.checksum!.images.map((i) => i.imageId), real.images.map((i) => i.imageId));
  assert.deepEqual(report.checksum!.collapsed.map((c) => c.v1Ids.sort()), [[built.ids.get('tool-cmd')!, built.ids.get('tool-cmd2')!].sort()]);
});

test('the SVG is valid XML with one node per image and per layer', () => {
  const svg = join(outside(), 'g.svg');
  const count = execFileSync('python3', ['-c', `
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1])
print(sum(1 for g in t.iter('{http://www.w3.org/2000/svg}g') if g.get('class') == 'node'))
`, svg]).toString().trim();
  assert.equal(Number(count), built.ids.size + 5);
  const dot = join(outside(), 'g.dot');
  assert.equal(runCli(['--root', root, '--dry-run', '--graph', dot, '-q']).status, 0);
  assert.match(readFileSync(dot, 'utf8'), /^digraph sharing \{/);
});

test('every defect the migration stops on appears as a finding naming its layer and file', () => {
  const dir = join(work, 'bad');
  const b = buildLegacyAufsRoot(join(dir, 'docker'), join(dir, 'scratch'), {
    layers: [
      { name: 'ok', writer: 'gnu', ops: [{ file: 'a', content: 'a\n' }] },
      ...['changed', 'climb', 'filelink', 'dirlink', 'badjson', 'orphan', 'cyc1', 'cyc2'].map((name) => ({
        name, writer: 'gnu' as const, ops: [{ file: 'dir/sub/f', content: `${name}\n` }, { file: 'g', content: 'g\n' }],
      })),
    ],
  });
  const id = (n: string) => b.ids.get(n)!;
  const diff = (n: string, p: string) => join(b.root, 'aufs/diff', id(n), p);
  writeFileSync(diff('changed', 'g'), 'grown\n');
  const td = join(b.root, 'graph', id('climb'), 'tar-data.json.gz');
  writeFileSync(td, gzipSync(gunzipSync(readFileSync(td)).toString().replace('"name":"./g"', '"name":"../../../etc/hostname"')));
  rmSync(diff('filelink', 'g'));
  symlinkSync('/etc/hostname', diff('filelink', 'g'));
  rmSync(diff('dirlink', 'dir'), { recursive: true });
  symlinkSync('/etc', diff('dirlink', 'dir'));
  writeFileSync(join(b.root, 'graph', id('badjson'), 'json'), '{"id":');
  writeFileSync(join(b.root, 'graph', id('orphan'), 'parent'), v1IdFor('nowhere'));
  writeFileSync(join(b.root, 'graph', id('cyc1'), 'parent'), id('cyc2'));
  writeFileSync(join(b.root, 'graph', id('cyc2'), 'parent'), id('cyc1'));
  const before = snapshotTree(b.root);
  const { status, report } = dryRun(b.root);
  assert.equal(status, 1);
  assert.equal(report.verdict, 'fail');
  const has = (sev: string, n: string, file: string, msg: RegExp) =>
    assert.ok(report.findings.some((x) => x.severity === sev && x.v1Id === id(n) && x.file === file && msg.test(x.message)), `${sev} ${n} ${msg}: ${JSON.stringify(report.findings)}`);
  has('warning', 'changed', join(b.root, 'graph', id('changed'), 'tar-data.json.gz'), /Path B\): .*size 6 on disk, 2 in tar-data/);
  has('error', 'climb', td, /climbs out/);
  has('error', 'filelink', join(b.root, 'graph', id('filelink'), 'tar-data.json.gz'), /symlink/);
  has('error', 'dirlink', join(b.root, 'graph', id('dirlink'), 'tar-data.json.gz'), /symlink/);
  has('error', 'badjson', join(b.root, 'graph', id('badjson'), 'json'), /invalid JSON/);
  has('error', 'orphan', join(b.root, 'graph', id('orphan'), 'parent'), /does not exist/);
  assert.ok(report.findings.some((x) => x.severity === 'error' && [id('cyc1'), id('cyc2')].includes(x.v1Id!) && /graph\/[a-f0-9]{64}\/parent$/.test(x.file!) && /cycle/.test(x.message)), 'cycle finding');
  assert.equal(report.findings.filter((x) => /cycle/.test(x.message)).length, 1);
  assert.deepEqual(diffSnapshots(before, snapshotTree(b.root)), []);
  assert.ok(!readdirSync(b.root).some((n) => n.includes('cas-migrate') || n === 'image' || n === 'overlay2'));
});

test('a same-size content change is seen by --checksum (exit 4, warning), not by the size scan', () => {
  const dir = join(work, 'warn');
  const b = buildLegacyAufsRoot(join(dir, 'docker'), join(dir, 'scratch'), { layers: [{ name: 'x', writer: 'gnu', ops: [{ file: 'f', content: 'ab\n' }] }] });
  const f = join(b.root, 'aufs/diff', b.ids.get('x')!, 'f');
  const st = statSync(f);
  writeFileSync(f, 'ba\n');
  utimesSync(f, st.atime, st.mtime);
  assert.equal(dryRun(b.root).status, 0);
  const deep = dryRun(b.root, '--checksum');
  assert.equal(deep.status, 4);
  assert.ok(deep.report.findings.some((x) => x.severity === 'warning' && x.v1Id === b.ids.get('x') && /file integrity checksum failed/.test(x.message)));
  assert.equal(deep.report.layers[0]!.path, 'B');
});

test('a root that is not a legacy root exits 1 with the reason as a finding', () => {
  const none = dryRun(join(work, 'out'));
  assert.equal(none.status, 1);
  assert.match(none.report.findings[0]!.message, /no legacy graph directory/);
});

test('a daemon using the root stops the migration and fails the audit, unless the audit is told to ignore it', async () => {
  const dir = join(work, 'busy');
  const b = buildLegacyAufsRoot(join(dir, 'docker'), join(dir, 'scratch'), { layers: [{ name: 'x', writer: 'gnu', ops: [{ file: 'f', content: 'f\n' }] }] });
  // A process that looks like a legacy daemon on this root (argv is what the check reads).
  const fake = spawn('bash', ['-c', `exec -a dockerd "${process.execPath}" -e 'setTimeout(() => {}, 60000)' -- --data-root ${b.root}`], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const m = runCli(['--root', b.root]);
    assert.equal(m.status, 1);
    assert.match(m.stderr, new RegExp(`error: ${b.root}: a current Docker daemon \\(pid ${fake.pid}\\) is using this root`));
    assert.ok(!existsSync(join(b.root, 'image')));
    const a = dryRun(b.root);
    assert.equal(a.status, 1);
    assert.ok(a.report.findings.some((f) => f.severity === 'error' && f.message.includes(`pid ${fake.pid}`)));
    const ignored = dryRun(b.root, '--ignore-running-daemon');
    assert.ok(ignored.report.findings.some((f) => f.severity === 'warning' && f.message.includes(`pid ${fake.pid}`)));
    assert.equal(ignored.status, 4);
  } finally {
    fake.kill();
  }
});
