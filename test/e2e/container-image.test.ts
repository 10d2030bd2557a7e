// The image operators run: built from our Dockerfile by a real dockerd 20.10 (on a local
// stand-in for node:20-bookworm-slim), run privileged against a mounted legacy root, and judged
// by a second dockerd booted on the result.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSample } from '../../samples/build.js';
import { addLegacyContainers } from '../helpers/legacy-containers.js';
import { importBaseImage } from '../helpers/base-image.js';
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
    d.docker(['start', 'kept']);
    assert.equal(d.docker(['wait', 'kept']).trim(), '0');
    assert.equal(d.docker(['logs', 'kept']), 'survived\n');
  } finally {
    await d.stop();
  }
});
