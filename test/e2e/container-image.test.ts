// The image operators run: built from our Dockerfile by a real dockerd 20.10 (on a local
// stand-in for node:20-bookworm-slim), run privileged against a mounted legacy root, and judged
// by a second dockerd booted on the result.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSample } from '../../samples/build.js';
import { addLegacyContainers } from '../helpers/legacy-containers.js';
import { importBaseImage, importHostWithoutNode } from '../helpers/base-image.js';
import { startDockerd, type Dockerd } from '../helpers/dockerd.js';
import type { MigrationReport } from '../../src/report/types.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
let work: string, builder: Dockerd;

before(async () => {
  work = mkdtempSync('/tmp/cas-image-');
  builder = await startDockerd(join(work, 'builder-root'), join(work, 'builder-state'), 'cas-image-builder');
  importBaseImage(builder.sock);
  process.env.DOCKER_BUILDKIT = '0'; // dockerd 20.10's classic builder, as in Debian's docker.io
  builder.docker(['build', '--network', 'host', '--pull=false', '-t', 'cas-migrate:test', REPO]);
});

after(async () => {
  await builder?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('the image answers --version and --help with cas-migrate as its entrypoint', () => {
  assert.match(builder.docker(['run', '--rm', 'cas-migrate:test', '--version']), /^cas-migrate\/\d+\.\d+\.\d+ linux-x64 node-v20/);
  assert.match(builder.docker(['run', '--rm', 'cas-migrate:test', 'migrate', '--help']), /Exit codes:/);
});

// The capabilities docs/upgrading.md lists for operators who prefer them to --privileged. The test
// runs with exactly these: it proves the list suffices, and --privileged cannot start any
// container on these test machines (their bounding set lacks CAP_SYS_RESOURCE, which it requests).
const CAPS = ['CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'MKNOD', 'SETFCAP', 'SYS_ADMIN'];

test('docker run with the documented capabilities and -v ROOT:/var/lib/docker migrates a legacy root that a second dockerd then boots', async () => {
  const root = join(work, 'legacy', 'docker');
  const built = buildSample(root, join(work, 'scratch'));
  await addLegacyContainers(built, join(work, 'scratch'), [
    { name: 'kept', image: 'cmd', imageRef: 'busybox:latest', cmd: ['/bin/cat', '/data/kept'], rw: [{ file: 'data/kept', content: 'survived\n' }] },
  ]);
  const caps = ['--cap-drop', 'ALL', ...CAPS.flatMap((c) => ['--cap-add', c])];
  const out = builder.docker(['run', '--rm', ...caps, '-v', `${root}:/var/lib/docker`, 'cas-migrate:test', '--root', '/var/lib/docker', '--json']);
  const report = JSON.parse(out) as MigrationReport;
  assert.match(report.engine ?? '', /^native addon/, 'the image should carry the addon its build stage compiled');
  assert.equal(report.containers[0]!.skipped, undefined);
  assert.ok(report.images.some((i) => i.refs.includes('busybox:latest')));
  const d = await startDockerd(root, join(work, 'migrated-state'), 'cas-image-migrated');
  try {
    assert.match(d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']), /busybox:latest/);
    assert.equal(d.docker(['run', '--rm', '--pull', 'never', 'busybox:latest', '/bin/cat', '/etc/motd']), 'changed in layer 2\n');
    assert.equal(d.startStopped('kept'), 'survived\n');
  } finally {
    await d.stop();
  }
});

test('the runbook\'s host path: the image installs a self-contained copy, and the final pass runs from it where there is no Node', () => {
  const root = join(work, 'host', 'docker');
  const built = buildSample(root, join(work, 'scratch-host'));
  const caps = ['--cap-drop', 'ALL', ...CAPS.flatMap((c) => ['--cap-add', c])];
  // Days before the window: the image migrates the live root (no legacy daemon here to find) and installs itself.
  builder.docker(['run', '--rm', ...caps, '-v', `${root}:/var/lib/docker`, 'cas-migrate:test', '--root', '/var/lib/docker', '-q']);
  const hostOpt = join(work, 'host', 'opt');
  mkdirSync(hostOpt, { recursive: true });
  assert.match(builder.docker(['run', '--rm', '-v', `${hostOpt}:/host/opt`, 'cas-migrate:test', 'install', '--to', '/host/opt/cas-migrate']), /^Installed into \/host\/opt\/cas-migrate/);
  // The legacy daemon pulled one more tag before it stopped.
  const repos = JSON.parse(readFileSync(join(root, 'repositories-aufs'), 'utf8'));
  repos.Repositories['late/tag'] = { v9: built.ids.get('base') };
  writeFileSync(join(root, 'repositories-aufs'), JSON.stringify(repos));
  // In the window, on a host without Node: the drop-in's final pass, then a check that it is done.
  importHostWithoutNode(builder.sock);
  assert.equal(builder.docker(['run', '--rm', 'host-without-node:test', 'sh', '-c', 'command -v node || echo none']), 'none\n');
  const host = ['run', '--rm', ...caps, '-v', `${hostOpt}/cas-migrate:/opt/cas-migrate`, '-v', `${root}:/var/lib/docker`, 'host-without-node:test'];
  builder.docker([...host, '/opt/cas-migrate/final-pass.sh', '/var/lib/docker']);
  assert.ok(readFileSync(join(root, 'image/overlay2/repositories.json'), 'utf8').includes('late/tag:v9'), 'the final pass followed the new tag');
  assert.match(builder.docker([...host, '/opt/cas-migrate/cas-migrate', '--root', '/var/lib/docker']), /^Up to date: /);
});
