// Stopped legacy containers migrated with the images, judged by a real dockerd 20.10: names,
// images, every byte of writable data, logs, links; broken ones skipped by name.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSample } from '../../samples/build.js';
import type { BuiltRoot } from '../helpers/legacy-root.js';
import { addLegacyContainers, type BuiltContainer } from '../helpers/legacy-containers.js';
import { diffSnapshots, snapshotEntries } from '../helpers/snapshot.js';
import { runCli } from '../helpers/cli.js';
import { aufsConversionProblems, treeFacts } from '../helpers/tree-facts.js';
import { startDockerd, type Dockerd } from '../helpers/dockerd.js';
import { exportView, mergedView, viewProblems } from '../helpers/tarview.js';
import type { MigrationReport } from '../../src/report/types.js';

let work: string, root: string, built: BuiltRoot, ctrs: Map<string, BuiltContainer>, report: MigrationReport, status: number;
let legacyBefore: Map<string, string>;

const snapshotLegacy = () => snapshotEntries(root, ['graph', 'aufs', 'repositories-aufs', 'containers', 'linkgraph.db']);

before(async () => {
  work = mkdtempSync('/tmp/cas-ctr-');
  root = join(work, 'docker');
  built = buildSample(root, join(work, 'scratch'));
  ctrs = await addLegacyContainers(built, join(work, 'scratch'), [
    {
      name: 'db', image: 'cmd', imageRef: 'busybox:latest', aufsMeta: true, socket: 'run/db.sock',
      cmd: ['/bin/sh', '-c', 'echo appended >> /data/db.txt; cat /data/db-link.txt; ls /etc/passwd || echo passwd-gone'],
      logLines: ['db ready (legacy run)'],
      rw: [
        { file: 'data/db.txt', content: 'rows that exist nowhere else\n', uid: 1000, gid: 1000, mode: 0o640 },
        { hardlink: 'data/db-link.txt', target: 'data/db.txt' },
        { xattr: 'data/db.txt', name: 'user.tag', hex: '6b656570' },
        { file: 'etc/motd', content: 'edited inside the container\n' },
        { whiteout: 'etc/passwd' },
        { whiteout: 'home/user' },
        { dir: 'opt/app' }, { opaque: 'opt/app' }, { file: 'opt/app/fresh', content: 'fresh\n' },
        { fifo: 'run/db.fifo' },
        { file: 'root/.ash_history', content: 'ls\n', mode: 0o600 },
      ],
    },
    {
      name: 'web', image: 'tool-cmd', imageRef: 'user/tool:v1', running: true,
      cmd: ['/usr/local/bin/tool'], logLines: ['tool', 'tool again'],
      rw: [{ file: 'var/www/index.html', content: '<h1>legacy</h1>\n' }],
    },
    { name: 'ghost', image: { missing: true }, imageRef: 'gone:latest', cmd: ['true'], rw: [] },
    { name: 'nolayer', image: 'cmd', imageRef: 'busybox:latest', cmd: ['true'], rw: [], missingRw: true },
    { name: 'badcfg', image: 'cmd', imageRef: 'busybox:latest', cmd: ['true'], rw: [], brokenConfig: true },
  ], [{ parent: 'web', child: 'db', alias: 'database' }]);
  legacyBefore = snapshotLegacy();
  const r = runCli(['--root', root, '--json']);
  status = r.status;
  assert.ok(r.stdout, r.stderr);
  report = JSON.parse(r.stdout) as MigrationReport;
});

after(() => rmSync(work, { recursive: true, force: true }));

const row = (name: string) => report.containers.find((c) => c.name === `/${name}` || c.id === ctrs.get(name)!.id)!;

test('broken containers are skipped by name with their reason, the rest migrate, and the exit code says so', () => {
  assert.equal(status, 3);
  assert.equal(row('db').skipped, undefined);
  assert.equal(row('web').skipped, undefined);
  assert.match(row('ghost').skipped!, /config\.json: its image [a-f0-9]{64} was not migrated/);
  assert.match(row('nolayer').skipped!, /aufs\/diff\/[a-f0-9]{64}: the writable layer is missing/);
  assert.match(row('badcfg').skipped!, /config\.json: invalid JSON/);
  for (const n of ['ghost', 'nolayer', 'badcfg']) assert.ok(!existsSync(join(root, 'image/overlay2/layerdb/mounts', ctrs.get(n)!.id)), n);
});

test('the report lists containers with image, writable bytes and the running→stopped warning', () => {
  assert.equal(row('db').image, 'busybox:latest');
  assert.ok(row('db').bytes >= 29 + 27 + 6 + 3);
  assert.equal(row('web').wasRunning, true);
  assert.ok(report.findings.some((f) => /container \/web was running/.test(f.message)));
  assert.ok(report.findings.some((f) => /1 aufs pseudo-link/.test(f.message)));
  assert.deepEqual(row('web').links, ['/db:database']);
});

test('the legacy data is unchanged except the documented additions (config.v2.json, hostconfig swap with backup)', () => {
  const now = snapshotLegacy();
  const web = ctrs.get('web')!.id;
  const changed = diffSnapshots(legacyBefore, now).filter((d) => !/\/config\.v2\.json: added$/.test(d) && !d.startsWith(`containers/${web}/hostconfig.json`));
  assert.deepEqual(changed, []);
  assert.deepEqual(readFileSync(join(root, 'containers', web, 'hostconfig.json.pre-cas-migrate')), readFileSync(join(ctrs.get('web')!.dir, 'hostconfig.json.pre-cas-migrate')));
  assert.equal(JSON.parse(readFileSync(join(root, 'containers', web, 'hostconfig.json'), 'utf8')).Links[0], '/db:database');
  assert.equal(legacyBefore.get(`containers/${web}/hostconfig.json`)?.split(' sha=')[1], now.get(`containers/${web}/hostconfig.json.pre-cas-migrate`)?.split(' sha=')[1]);
});

test('init and writable layers are their aufs branches converted, every mtime to the nanosecond (files, dirs, /.dockerenv, whiteouts)', () => {
  for (const name of ['db', 'web']) {
    const id = ctrs.get(name)!.id;
    for (const layer of [`${id}-init`, id]) assert.deepEqual(aufsConversionProblems(join(root, 'aufs/diff', layer), join(root, 'overlay2', layer, 'diff')), [], `${name} ${layer}`);
  }
  const env = treeFacts(join(root, 'overlay2', `${ctrs.get('db')!.id}-init`, 'diff')).get('.dockerenv')!;
  assert.notEqual(BigInt(env.mtimeNs) % 1000n, 0n, 'the fixture has sub-microsecond times');
});

test('the legacy container dirs keep their times to the nanosecond after config.v2.json is added', () => {
  for (const name of ['db', 'web']) {
    const dir = join(root, 'containers', ctrs.get(name)!.id);
    assert.equal(treeFacts(dir).get('.')!.mtimeNs, legacyBefore.get(`containers/${ctrs.get(name)!.id}`)!.match(/mtime=(\d+)/)![1], name);
  }
});

test('writable data is copied (no shared inodes), hard links inside the layer kept, sockets and FIFOs recreated', () => {
  const db = ctrs.get('db')!.id;
  const diff = join(root, 'overlay2', db, 'diff');
  assert.notEqual(lstatSync(join(diff, 'data/db.txt')).ino, lstatSync(join(root, 'aufs/diff', db, 'data/db.txt')).ino);
  assert.equal(lstatSync(join(diff, 'data/db.txt')).ino, lstatSync(join(diff, 'data/db-link.txt')).ino);
  assert.ok(lstatSync(join(diff, 'run/db.sock')).isSocket());
  assert.ok(lstatSync(join(diff, 'run/db.fifo')).isFIFO());
  assert.equal(execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', 'user.tag', join(diff, 'data/db.txt')]).toString(), 'keep');
  assert.ok(!existsSync(join(diff, '.wh..wh.plnk')));
  const mounts = join(root, 'image/overlay2/layerdb/mounts', db);
  assert.equal(readFileSync(join(mounts, 'mount-id'), 'utf8'), db);
  assert.equal(readFileSync(join(mounts, 'init-id'), 'utf8'), `${db}-init`);
  assert.equal(readFileSync(join(mounts, 'parent'), 'utf8'), report.layers.find((l) => l.v1Id === built.ids.get('cmd'))!.chainId);
});

describe('dockerd 20.10 with the migrated containers', () => {
  let d: Dockerd;
  before(async () => {
    d = await startDockerd(root, join(work, 'state'), 'cas-ctr');
  });
  after(async () => d?.stop());

  test('docker ps -a lists each migrated container by name and image, stopped', () => {
    const lines = d.docker(['ps', '-a', '--no-trunc', '--format', '{{.Names}} {{.Image}} {{.ID}} {{.State}}']).trim().split('\n').sort();
    // "web/database" is dockerd listing db under its link alias: the rebuilt link is live.
    assert.deepEqual(lines, [`db,web/database busybox:latest ${ctrs.get('db')!.id} exited`, `web user/tool:v1 ${ctrs.get('web')!.id} exited`]);
  });

  for (const [name, chain] of [['db', ['base', 'config', 'cmd']], ['web', ['base', 'tool', 'tool-cmd']]] as const) {
    test(`docker export of ${name} equals the legacy merged view (image + init + writable layer)`, async () => {
      const c = ctrs.get(name)!;
      const want = await mergedView([...chain.map((n) => readFileSync(built.tars.get(n)!)), readFileSync(c.initTar), readFileSync(c.rwTar)]);
      const got = await exportView(d.dockerRaw(['export', c.id]));
      assert.deepEqual(viewProblems(want, got), []);
      assert.ok(want.size > 20);
    });
  }

  test('docker logs shows the legacy log lines', () => {
    assert.equal(d.docker(['logs', 'web']), 'tool\ntool again\n');
  });

  test('docker inspect shows the links rebuilt from linkgraph.db', () => {
    const i = JSON.parse(d.docker(['inspect', 'web']))[0];
    assert.deepEqual(i.HostConfig.Links, ['/db:/web/database']);
    assert.equal(i.State.Running, false);
    assert.equal(i.Driver, 'overlay2');
  });

  test('docker start + wait works, and writing inside the container leaves the legacy copy alone', () => {
    const legacyFile = join(root, 'aufs/diff', ctrs.get('db')!.id, 'data/db.txt');
    const before = readFileSync(legacyFile);
    const logs = d.startStopped('db');
    assert.match(logs, /^db ready \(legacy run\)\n/);
    assert.match(logs, /rows that exist nowhere else\nappended\n/);
    assert.match(logs, /passwd-gone/);
    assert.deepEqual(readFileSync(legacyFile), before);
  });
});
