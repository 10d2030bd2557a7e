// `cas-migrate verify`: sound on stores dockerd 20.10 wrote itself (import, commit, load) and on
// ours; names each defect it claims to catch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { buildSample } from '../../samples/build.js';
import { runCli } from '../helpers/cli.js';
import { startDockerd } from '../helpers/dockerd.js';

let work: string, dockerRoot: string, loadedRoot: string, ours: string;

before(async () => {
  work = mkdtempSync('/tmp/cas-verify-');
  // A store written by dockerd: import a rootfs, commit a container's change, keep the container.
  dockerRoot = join(work, 'dockerd-root');
  const tree = join(work, 'tree');
  execFileSync('mkdir', ['-p', join(tree, 'bin'), join(tree, 'etc')]);
  execFileSync('cp', ['/usr/bin/busybox', join(tree, 'bin/busybox')]);
  execFileSync('ln', ['-s', 'busybox', join(tree, 'bin/sh')]);
  writeFileSync(join(tree, 'etc/motd'), 'imported\n');
  const d = await startDockerd(dockerRoot, join(work, 'state1'), 'cas-verify-1');
  try {
    execFileSync('bash', ['-c', `tar -C "$1" -c . | /usr/bin/docker import - peer/base:1`, 'x', tree], { env: { ...process.env, DOCKER_HOST: `unix://${d.sock}` } });
    d.docker(['run', '--name', 'changer', '--pull', 'never', 'peer/base:1', '/bin/sh', '-c', 'echo changed > /etc/motd; mkdir /data; echo x > /data/x; rm /bin/sh']);
    d.docker(['commit', 'changer', 'peer/committed:1']);
    writeFileSync(join(work, 'saved.tar'), d.dockerRaw(['save', 'peer/committed:1']));
  } finally {
    await d.stop();
  }
  loadedRoot = join(work, 'loaded-root');
  const l = await startDockerd(loadedRoot, join(work, 'state2'), 'cas-verify-2');
  try {
    execFileSync('bash', ['-c', `/usr/bin/docker load -i "$1"`, 'x', join(work, 'saved.tar')], { env: { ...process.env, DOCKER_HOST: `unix://${l.sock}` } });
  } finally {
    await l.stop();
  }
  ours = join(work, 'ours', 'docker');
  buildSample(ours);
  assert.equal(runCli(['--root', ours, '-q']).status, 0);
});
after(() => rmSync(work, { recursive: true, force: true }));

function verify(root: string): { status: number; out: string } {
  const r = runCli(['verify', '--root', root, '-q']);
  return { status: r.status, out: r.stdout + r.stderr };
}

test('stores written by dockerd 20.10 itself (import, commit with a container, load) are sound', () => {
  for (const root of [dockerRoot, loadedRoot]) {
    const r = verify(root);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /DiffIDs recomputed for [1-9]\d* layers/);
  }
  assert.match(verify(dockerRoot).out, /1 container mounts/);
});

test('our migrated store is sound, and --json says so', () => {
  const r = runCli(['verify', '--root', ours, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { verdict: string; layers: number; dataChecked: number; problems: unknown[] };
  assert.deepEqual([j.verdict, j.problems.length], ['clean', 0]);
  assert.equal(j.dataChecked, j.layers);
});

function copyOf(root: string): string {
  const dir = mkdtempSync(join(work, 'copy-'));
  execFileSync('cp', ['-a', root, dir]);
  return join(dir, root.split('/').pop()!);
}

function layerWithFile(root: string): { hex: string; cacheId: string; file: string } {
  for (const hex of readdirSync(join(root, 'image/overlay2/layerdb/sha256'))) {
    const cacheId = readFileSync(join(root, 'image/overlay2/layerdb/sha256', hex, 'cache-id'), 'utf8');
    const f = join(root, 'overlay2', cacheId, 'diff/etc/motd');
    try {
      if (statSync(f).isFile()) return { hex, cacheId, file: f };
    } catch { /* next layer */ }
  }
  throw new Error('no layer with etc/motd');
}

test('verify names each defect: corrupt file, flipped digest, broken link, missing layer', () => {
  const cases: Array<[string, (root: string) => string, RegExp]> = [
    ['a corrupt file (same size)', (root) => {
      const { hex, file } = layerWithFile(root);
      const st = statSync(file);
      const data = readFileSync(file);
      data[0] ^= 0x20;
      writeFileSync(file, data);
      utimesSync(file, st.atime, st.mtime);
      return join(root, 'image/overlay2/layerdb/sha256', hex, 'tar-split.json.gz');
    }, /file integrity checksum failed/],
    ['a flipped digest', (root) => {
      const { hex } = layerWithFile(root);
      const f = join(root, 'image/overlay2/layerdb/sha256', hex, 'diff');
      const d = readFileSync(f, 'utf8');
      writeFileSync(f, d.slice(0, -1) + (d.endsWith('0') ? '1' : '0'));
      return f;
    }, /hashes to|not the ChainID/],
    ['a broken link', (root) => {
      const { cacheId } = layerWithFile(root);
      const link = readFileSync(join(root, 'overlay2', cacheId, 'link'), 'utf8');
      unlinkSync(join(root, 'overlay2/l', link));
      return join(root, 'overlay2/l', link);
    }, /link does not point/],
    ['a missing layer', (root) => {
      const { hex, cacheId } = layerWithFile(root);
      rmSync(join(root, 'overlay2', cacheId), { recursive: true });
      return join(root, 'image/overlay2/layerdb/sha256', hex, 'cache-id');
    }, /no overlay2 dir/],
  ];
  for (const source of [ours, dockerRoot]) {
    for (const [what, breakIt, msg] of cases) {
      const root = copyOf(source);
      const file = breakIt(root);
      const r = verify(root);
      assert.equal(r.status, 1, `${what}: ${r.out}`);
      const line = r.out.split('\n').find((l) => l.startsWith(`problem: ${file}`) && msg.test(l));
      assert.ok(line, `${what} in ${source}: expected a problem naming ${file} matching ${msg}:\n${r.out}`);
    }
  }
});
