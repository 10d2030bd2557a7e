// No tag is lost in silence. A repositories file of another driver than the one the layers are
// read from is used when it is the root's only one (with a warning naming both drivers); every
// tag that cannot be carried over — a v1 id with no layer, an entry that does not parse, a name
// or tag Docker refuses, two names that become one reference, another driver's file beside the
// right one, several files and none for this driver — stops the migration with one line naming
// the file and the tags, and --dry-run reports it in the same words. --allow-tag-loss drops them
// by name instead (exit 3).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLegacyRoot, type BuiltRoot, type LegacyDriverName, type RootSpec } from '../helpers/legacy-root.js';
import { runCli } from '../helpers/cli.js';
import type { MigrationReport } from '../../src/report/types.js';

let work: string;
const masters = new Map<LegacyDriverName, BuiltRoot>();

const SPEC: RootSpec = {
  layers: [
    { name: 'base', writer: 'gnu', ops: [{ file: 'etc/os-release', content: 'ID=legacy\n' }, { file: 'bin/tool', content: 'x\n', mode: 0o755 }] },
    { name: 'app', parent: 'base', writer: 'python', ops: [{ file: 'srv/app', content: 'app\n' }] },
  ],
  tags: { busybox: { latest: 'base' }, 'example.com:5000/team/app': { '1.0': 'app' } },
};

before(() => {
  work = mkdtempSync('/tmp/cas-tags-');
  for (const d of ['aufs', 'overlay'] as const) masters.set(d, buildLegacyRoot(join(work, `master-${d}`), join(work, `scratch-${d}`), SPEC, d));
});
after(() => rmSync(work, { recursive: true, force: true }));

let seq = 0;
/** A fresh copy of a master root, changed by `edit`. */
function rootWith(driver: LegacyDriverName, edit: (root: string, ids: Map<string, string>) => void): string {
  const root = join(work, `case-${seq++}`);
  execFileSync('cp', ['-a', masters.get(driver)!.root, root]);
  edit(root, masters.get(driver)!.ids);
  return root;
}

const repos = (root: string, file = 'repositories-aufs') => JSON.parse(readFileSync(join(root, file), 'utf8')) as { Repositories: Record<string, Record<string, unknown>> };
const writeRepos = (root: string, doc: unknown, file = 'repositories-aufs') => writeFileSync(join(root, file), JSON.stringify(doc));
const migratedRefs = (root: string) => JSON.parse(readFileSync(join(root, 'image/overlay2/repositories.json'), 'utf8')).Repositories as Record<string, Record<string, string>>;
const GHOST = 'f'.repeat(64);

/** The refusal: exit 1, one error line naming the file and every lost tag, nothing written; the audit says the same. */
function assertRefused(root: string, file: string, tags: string[]): string {
  const r = runCli(['--root', root, '-q']);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0]!.startsWith(`cas-migrate: error: ${join(root, file)}: `), lines[0]);
  for (const t of tags) assert.ok(lines[0]!.includes(t), `${t} named in: ${lines[0]}`);
  assert.ok(!existsSync(join(root, 'image')) && !existsSync(join(root, 'overlay2')) && !existsSync(join(root, '.cas-migrate-staging')), 'nothing written');
  const dry = runCli(['--root', root, '--dry-run', '--json']);
  assert.equal(dry.status, 1, dry.stderr);
  const finding = (JSON.parse(dry.stdout).findings as Array<{ severity: string; file?: string; message: string }>).find((f) => f.severity === 'error');
  assert.equal(`cas-migrate: error: ${finding!.file}: ${finding!.message}`, lines[0], 'the audit reports the same finding in the same words');
  return lines[0]!;
}

/** With --allow-tag-loss: exit 3, the dropped tags in the report, the rest migrated; the audit warns (exit 4). */
function assertDropped(root: string, tags: string[]): MigrationReport {
  const dry = runCli(['--root', root, '--dry-run', '--allow-tag-loss', '--json']);
  assert.equal(dry.status, 4, dry.stderr);
  const r = runCli(['--root', root, '--allow-tag-loss', '--json']);
  assert.equal(r.status, 3, r.stderr);
  const report = JSON.parse(r.stdout) as MigrationReport;
  assert.deepEqual(report.refs.skipped.map((s) => s.ref).sort(), [...tags].sort());
  for (const t of tags) assert.match(r.stderr, new RegExp(`dropped \\(--allow-tag-loss\\).*${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  return report;
}

test('layers in overlay/ while the only repositories file says aufs: its tags are used, with a warning naming both drivers', () => {
  const root = rootWith('overlay', (r) => renameSync(join(r, 'repositories-overlay'), join(r, 'repositories-aufs')));
  const dry = runCli(['--root', root, '--dry-run', '--json']);
  assert.equal(dry.status, 4, dry.stderr);
  const warning = (JSON.parse(dry.stdout).findings as Array<{ severity: string; message: string }>).find((f) => f.severity === 'warning')!;
  assert.match(warning.message, /aufs driver's file: the layers are read from overlay\/ and there is no repositories-overlay/);
  const r = runCli(['--root', root, '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stderr.includes(warning.message), 'the migration warns in the same words');
  const report = JSON.parse(r.stdout) as MigrationReport;
  assert.equal(report.refs.migrated, 2);
  assert.deepEqual(Object.keys(migratedRefs(root)).sort(), ['busybox', 'example.com:5000/team/app']);
});

test('a tag naming a v1 id that has no layer stops the run naming the file and the tag; --allow-tag-loss drops it by name', () => {
  const edit = (r: string) => {
    const doc = repos(r);
    doc.Repositories['busybox']!['old'] = GHOST;
    writeRepos(r, doc);
  };
  const line = assertRefused(rootWith('aufs', edit), 'repositories-aufs', ['busybox:old', GHOST]);
  assert.match(line, /has no layer in graph\/.*--allow-tag-loss/);
  const root = rootWith('aufs', edit);
  assertDropped(root, ['busybox:old']);
  assert.deepEqual(Object.keys(migratedRefs(root)['busybox']!), ['busybox:latest']);
});

test('entries that do not parse, names and tags Docker refuses, and two names that become one reference are refused alike', () => {
  const edit = (r: string, ids: Map<string, string>) => {
    const doc = repos(r);
    Object.assign(doc.Repositories, {
      broken: 'not an object of tags',
      numbers: { one: 1 },
      'Upper/Case': { v1: ids.get('base') },
      ok: { 'bad tag!': ids.get('base') },
      'library/busybox': { latest: ids.get('app') }, // "busybox:latest" already names base
      notanid: { latest: 'xyz' },
    });
    writeRepos(r, doc);
  };
  const lost = ['broken', 'numbers:one', 'Upper/Case:v1', 'ok:bad tag!', 'library/busybox:latest', 'notanid:latest'];
  assertRefused(rootWith('aufs', edit), 'repositories-aufs', lost);
  const root = rootWith('aufs', edit);
  assertDropped(root, lost);
  assert.equal(migratedRefs(root)['busybox']!['busybox:latest'], (JSON.parse(runCli(['--root', root, '--allow-tag-loss', '--json']).stdout) as MigrationReport).images.find((i) => i.v1Id === masters.get('aufs')!.ids.get('base'))!.imageId);
});

test('another driver\'s repositories file beside the right one is not ignored in silence', () => {
  const edit = (r: string, ids: Map<string, string>) => writeRepos(r, { Repositories: { stale: { v1: ids.get('base') } } }, 'repositories-vfs');
  const line = assertRefused(rootWith('aufs', edit), 'repositories-vfs', ['stale:v1']);
  assert.match(line, /the vfs driver's tags are not used: the layers are read from aufs\//);
  assertDropped(rootWith('aufs', edit), ['stale:v1']);
});

test('several repositories files and none for the driver in use: refused, naming each file\'s tags', () => {
  const edit = (r: string, ids: Map<string, string>) => {
    renameSync(join(r, 'repositories-aufs'), join(r, 'repositories-btrfs'));
    writeRepos(r, { Repositories: { other: { v1: ids.get('app') } } }, 'repositories-vfs');
  };
  const line = assertRefused(rootWith('aufs', edit), 'repositories-btrfs', ['busybox:latest', 'example.com:5000/team/app:1.0']);
  assert.match(line, /several repositories files \(repositories-btrfs, repositories-vfs\) and none for the aufs driver/);
  const report = assertDropped(rootWith('aufs', edit), ['busybox:latest', 'example.com:5000/team/app:1.0', 'other:v1']);
  assert.equal(report.refs.migrated, 0);
});

test('a repositories file that is not JSON stops the run with one line naming it', () => {
  const root = rootWith('aufs', (r) => writeFileSync(join(r, 'repositories-aufs'), '{"Repositories": {'));
  const r = runCli(['--root', root, '-q']);
  assert.equal(r.status, 1);
  assert.match(r.stderr.trim(), new RegExp(`^cas-migrate: error: ${join(root, 'repositories-aufs')}: invalid JSON: [^\\n]+$`));
});
