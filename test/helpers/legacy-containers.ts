// Legacy (Docker 1.9) containers for a root built by legacy-root.ts: containers/<id>/ with
// 1.9-style config.json and hostconfig.json, a json-file log, the init layer setupInitLayer made
// (formats.md §1.9), a writable layer in the driver's format (aufs diff dir, overlay upper/ with
// lower-id, or a vfs/btrfs full tree), and linkgraph.db written by sqlite3.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { applyLayer } from './full-tree.js';
import { join } from 'node:path';
import { archive, buildTree, type Op } from './layer-tree.js';
import { layerPath, newLayerTree, type BuiltRoot } from './legacy-root.js';
import { retimeNs } from './tree-facts.js';

export interface ContainerSpec {
  name: string;
  /** Layer name of its image in the BuiltRoot; `missing` for an image that is not in graph/. */
  image: string | { missing: true };
  /** Config.Image as the user typed it (docker ps shows it). */
  imageRef: string;
  cmd: string[];
  rw: Op[];
  running?: boolean;
  logLines?: string[];
  /** aufs branch metadata in the RW layer, with one pseudo-link. */
  aufsMeta?: boolean;
  /** A unix socket at this path in the RW layer. */
  socket?: string;
  /** Leave out aufs/diff/<id> (a layer dir that is gone). */
  missingRw?: boolean;
  /** Write an unparsable config.json. */
  brokenConfig?: boolean;
}

export interface BuiltContainer {
  id: string;
  dir: string;
  initTar: string;
  rwTar: string;
}

export const INIT_OPS: Op[] = [
  { dir: 'dev' }, { dir: 'dev/pts' }, { dir: 'dev/shm' }, { dir: 'proc' }, { dir: 'sys' }, { dir: 'etc' },
  { file: '.dockerinit', mode: 0o755 }, { file: '.dockerenv', mode: 0o755 },
  { file: 'etc/resolv.conf', mode: 0o755 }, { file: 'etc/hosts', mode: 0o755 }, { file: 'etc/hostname', mode: 0o755 },
  { file: 'dev/console', mode: 0o755 }, { symlink: 'etc/mtab', target: '/proc/mounts' },
];

export const containerIdFor = (name: string) => createHash('sha256').update(`legacy container ${name}`).digest('hex');

/** A unix socket made by Python from inside its directory (bind paths are limited to 108 bytes). */
function makeSocket(path: string): void {
  execFileSync('python3', ['-c', 'import os,socket,sys; os.chdir(os.path.dirname(sys.argv[1])); socket.socket(socket.AF_UNIX).bind(os.path.basename(sys.argv[1]))', path]);
}

function configJson(b: BuiltRoot, s: ContainerSpec, id: string, dir: string, v1: string): string {
  const state = s.running
    ? { Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 4242, ExitCode: 0, Error: '', StartedAt: '2015-11-10T21:42:40.604267436Z', FinishedAt: '0001-01-01T00:00:00Z' }
    : { Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 3, Error: '', StartedAt: '2015-11-10T21:42:40.604267436Z', FinishedAt: '2015-11-10T21:42:41.869265487Z' };
  void b;
  return JSON.stringify({
    State: state, ID: id, Created: '2015-11-10T21:42:40.433831551Z', Path: s.cmd[0], Args: s.cmd.slice(1),
    Config: {
      Hostname: id.slice(0, 12), Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false,
      OpenStdin: false, StdinOnce: false, Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: s.cmd,
      Image: s.imageRef, Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {},
    },
    Image: v1,
    NetworkSettings: {
      Bridge: '', EndpointID: '', Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, HairpinMode: false, IPAddress: '', IPPrefixLen: 0,
      IPv6Gateway: '', LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, MacAddress: '', NetworkID: '', PortMapping: null, Ports: null,
      SandboxKey: '', SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
    },
    ResolvConfPath: join(dir, 'resolv.conf'), HostnamePath: join(dir, 'hostname'), HostsPath: join(dir, 'hosts'),
    LogPath: join(dir, `${id}-json.log`), Name: `/${s.name}`, Driver: b.driver, ExecDriver: 'native-0.2', MountLabel: '', ProcessLabel: '',
    RestartCount: 0, UpdateDns: false, HasBeenStartedBefore: true, MountPoints: {}, Volumes: {}, VolumesRW: {}, AppArmorProfile: '',
  });
}

const HOSTCONFIG_19 = JSON.stringify({
  Binds: null, ContainerIDFile: '', LxcConf: [], Memory: 0, MemoryReservation: 0, MemorySwap: 0, KernelMemory: 0, CpuShares: 0, CpuPeriod: 0,
  CpusetCpus: '', CpusetMems: '', CpuQuota: 0, BlkioWeight: 0, OomKillDisable: false, MemorySwappiness: -1, Privileged: false, PortBindings: {},
  Links: null, PublishAllPorts: false, Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, VolumesFrom: null, Devices: [],
  NetworkMode: 'default', IpcMode: '', PidMode: '', UTSMode: '', CapAdd: null, CapDrop: null, GroupAdd: null,
  RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, SecurityOpt: null, ReadonlyRootfs: false, Ulimits: null,
  LogConfig: { Type: 'json-file', Config: {} }, CgroupParent: '', ConsoleSize: [0, 0], VolumeDriver: '',
});

export async function addLegacyContainers(
  b: BuiltRoot,
  scratch: string,
  specs: ContainerSpec[],
  links: Array<{ parent: string; child: string; alias: string }> = [],
): Promise<Map<string, BuiltContainer>> {
  const out = new Map<string, BuiltContainer>();
  const chain = (layer: string): string[] => {
    const ids: string[] = [];
    for (let n: string | undefined = layer; n; n = b.specs.get(n)!.parent) ids.push(b.ids.get(n)!);
    return ids;
  };
  for (const s of specs) {
    const id = containerIdFor(s.name);
    const dir = join(b.root, 'containers', id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const v1 = typeof s.image === 'string' ? b.ids.get(s.image)! : createHash('sha256').update('no such image').digest('hex');
    writeFileSync(join(dir, 'config.json'), s.brokenConfig ? '{"State":' : configJson(b, s, id, dir, v1), { mode: 0o600 });
    writeFileSync(join(dir, 'hostconfig.json'), HOSTCONFIG_19, { mode: 0o644 });
    writeFileSync(join(dir, 'hostname'), id.slice(0, 12) + '\n');
    writeFileSync(join(dir, 'hosts'), `127.0.0.1\tlocalhost\n172.17.0.2\t${id.slice(0, 12)}\n`);
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 8.8.8.8\n');
    const t = Date.parse('2015-11-10T21:42:40Z');
    writeFileSync(join(dir, `${id}-json.log`), (s.logLines ?? []).map((l, i) => JSON.stringify({ log: l + '\n', stream: 'stdout', time: new Date(t + i * 1000).toISOString() }) + '\n').join(''), { mode: 0o600 });
    const ancestry = typeof s.image === 'string' ? chain(s.image) : [];
    const aufs = b.driver === 'aufs';
    if (aufs) {
      writeFileSync(join(b.root, 'aufs/layers', `${id}-init`), ancestry.map((x) => x + '\n').join(''));
      writeFileSync(join(b.root, 'aufs/layers', id), [`${id}-init`, ...ancestry].map((x) => x + '\n').join(''));
      mkdirSync(join(b.root, 'aufs/mnt', id));
      mkdirSync(join(b.root, 'aufs/mnt', `${id}-init`));
    }
    const init = aufs ? join(b.root, 'aufs/diff', `${id}-init`) : join(scratch, `${s.name}-init-tree`);
    buildTree(init, INIT_OPS);
    const initTar = join(scratch, `${s.name}-init.tar`);
    archive(init, initTar, 'gnu');
    if (!aufs) fullTreeLayer(b, `${id}-init`, ancestry[0], initTar);
    const rwTar = join(scratch, `${s.name}-rw.tar`);
    if (!s.missingRw && !aufs) {
      const rw = join(scratch, `${s.name}-rw-tree`);
      buildTree(rw, s.rw);
      archive(rw, rwTar, 'gnu');
      fullTreeLayer(b, id, `${id}-init`, rwTar);
    }
    if (!s.missingRw && aufs) {
      const rw = join(b.root, 'aufs/diff', id);
      buildTree(rw, s.rw);
      if (s.socket) makeSocket(join(rw, s.socket));
      archive(rw, rwTar, 'gnu'); // GNU tar leaves the socket out, as docker export does
      if (s.aufsMeta) {
        writeFileSync(join(rw, '.wh..wh.aufs'), '');
        chmodSync(join(rw, '.wh..wh.aufs'), 0);
        mkdirSync(join(rw, '.wh..wh.plnk'), { mode: 0o700 });
        mkdirSync(join(rw, '.wh..wh.orph'), { mode: 0o700 });
        const firstFile = s.rw.find((o): o is Extract<Op, { file: string }> => 'file' in o);
        if (firstFile) linkSync(join(rw, firstFile.file), join(rw, '.wh..wh.plnk', '1234.5678'));
      }
    }
    if (aufs) for (const d of [init, join(b.root, 'aufs/diff', id)]) if (existsSync(d)) retimeNs(d);
    retimeNs(dir);
    out.set(s.name, { id, dir, initTar, rwTar });
  }
  // linkgraph.db as the legacy daemon's graphdb package created it, written by SQLite itself.
  const sql = [
    // IF NOT EXISTS / OR IGNORE: a later call adds containers to the same root, as a daemon did.
    'CREATE TABLE IF NOT EXISTS entity (id text NOT NULL PRIMARY KEY);',
    'CREATE TABLE IF NOT EXISTS edge (entity_id text NOT NULL, parent_id text NULL, name text NOT NULL, CONSTRAINT "parent_fk" FOREIGN KEY ("parent_id") REFERENCES "entity" ("id"), CONSTRAINT "entity_fk" FOREIGN KEY ("entity_id") REFERENCES "entity" ("id"));',
    'CREATE UNIQUE INDEX IF NOT EXISTS "name_parent_ix" ON "edge" (parent_id, name);',
    `INSERT OR IGNORE INTO entity (id) VALUES ('0');`,
    `INSERT OR IGNORE INTO edge (entity_id, name) VALUES ('0', '/');`,
    ...specs.flatMap((s) => [`INSERT INTO entity (id) VALUES ('${containerIdFor(s.name)}');`, `INSERT INTO edge (entity_id, parent_id, name) VALUES ('${containerIdFor(s.name)}', '0', '${s.name}');`]),
    ...links.map((l) => `INSERT INTO edge (entity_id, parent_id, name) VALUES ('${containerIdFor(l.child)}', '${containerIdFor(l.parent)}', '${l.alias}');`),
  ].join('\n');
  execFileSync('sqlite3', [join(b.root, 'linkgraph.db')], { input: sql });
  return out;
}

/**
 * A container layer on a full-tree driver. vfs/btrfs: a copy (snapshot) of the parent's tree
 * with the layer applied. overlay (v1): <id>/upper in kernel-overlay form, work/, merged/ and
 * lower-id naming the image layer; the RW layer's upper/ starts as a copy of the init upper/.
 */
function fullTreeLayer(b: BuiltRoot, graphId: string, parent: string | undefined, tar: string): void {
  if (b.driver === 'vfs' || b.driver === 'btrfs') {
    const dir = layerPath(b.root, b.driver, graphId);
    newLayerTree(b.driver, dir, parent === undefined ? undefined : layerPath(b.root, b.driver, parent));
    applyLayer(tar, dir);
    retimeNs(dir);
    return;
  }
  const dir = join(b.root, 'overlay', graphId);
  mkdirSync(dir, { mode: 0o700 });
  const isInit = graphId.endsWith('-init');
  const lowerId = isInit ? parent ?? '' : execFileSync('cat', [join(b.root, 'overlay', parent!, 'lower-id')]).toString();
  if (isInit) mkdirSync(join(dir, 'upper'), { mode: 0o755 });
  else execFileSync('cp', ['-a', join(b.root, 'overlay', parent!, 'upper'), join(dir, 'upper')]);
  mkdirSync(join(dir, 'work'), { mode: 0o700 });
  mkdirSync(join(dir, 'merged'), { mode: 0o700 });
  writeFileSync(join(dir, 'lower-id'), lowerId, { mode: 0o666 });
  applyLayer(tar, join(dir, 'upper'), 'upper');
  retimeNs(join(dir, 'upper'));
}
