// Builds a legacy (Docker 1.9-style) data root from layer specs: each layer's tree is archived
// by a real tar writer and described by the real Go `tar-split disasm` as
// graph/<id>/tar-data.json.gz, as Docker 1.8+ did. The tar lands where the driver kept it:
// aufs extracts it into aufs/diff/<id>; overlay (v1), vfs and btrfs apply it onto a clone,
// copy or snapshot of the parent's full tree (full-tree.ts).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { archive, buildTree, extractAufs, type Op, type Writer } from './layer-tree.js';
import { applyLayer, cloneTree } from './full-tree.js';
import { retimeNs } from './tree-facts.js';

export type LegacyDriverName = 'aufs' | 'overlay' | 'vfs' | 'btrfs';

export interface LayerSpec {
  name: string;
  parent?: string;
  ops: Op[];
  writer: Writer;
  /** 'go': tar-data from the Go CLI (default); 'none': a pre-1.8 layer without it. */
  tarData?: 'go' | 'none';
  dockerVersion?: string;
  /** container_config.Cmd (becomes history created_by). */
  createdBy?: string[];
  cmd?: string[];
  /** Registry blob digest stored in graph/<id>/checksum. */
  checksum?: string;
  /** Add the aufs branch metadata (.wh..wh.aufs, .wh..wh.plnk/, .wh..wh.orph/) to the diff dir. */
  aufsMeta?: boolean;
  /** Write the parent into graph/<id>/parent as well (1.9 strong-id pulls did). */
  parentFile?: boolean;
}

export interface RootSpec {
  layers: LayerSpec[];
  /** repository → tag or digest → layer name */
  tags?: Record<string, Record<string, string>>;
}

export interface BuiltRoot {
  root: string;
  ids: Map<string, string>;
  /** Original layer tars (outside the root). */
  tars: Map<string, string>;
  specs: Map<string, LayerSpec>;
  driver: LegacyDriverName;
}

/** Where a driver keeps a layer's files (the tree Path A reads). */
export function layerPath(root: string, driver: LegacyDriverName, id: string): string {
  return {
    aufs: `${root}/aufs/diff/${id}`,
    overlay: `${root}/overlay/${id}/root`,
    vfs: `${root}/vfs/dir/${id}`,
    btrfs: `${root}/btrfs/subvolumes/${id}`,
  }[driver];
}

/** A layer's full tree from its parent's (undefined for a base layer), as the driver made it. */
export function newLayerTree(driver: Exclude<LegacyDriverName, 'aufs'>, dir: string, parentDir: string | undefined): void {
  if (driver === 'btrfs') {
    if (parentDir) execFileSync('btrfs', ['-q', 'subvolume', 'snapshot', parentDir, dir]);
    else execFileSync('btrfs', ['-q', 'subvolume', 'create', dir]);
    return;
  }
  mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
  if (parentDir) cloneTree(parentDir, dir, driver);
  else mkdirSync(dir, { mode: 0o755 });
}

export function v1IdFor(name: string): string {
  return createHash('sha256').update(`legacy layer ${name}`).digest('hex');
}

export function sha256File(p: string): string {
  return 'sha256:' + createHash('sha256').update(readFileSync(p)).digest('hex');
}

function v1Json(spec: LayerSpec, id: string, parentId: string | undefined, size: number): string {
  const cc = (cmd: string[] | null) => ({
    Hostname: id.slice(0, 12), Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
    ExposedPorts: null, PublishService: '', Tty: false, OpenStdin: false, StdinOnce: false,
    Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: cmd, Image: parentId ?? '', Volumes: null,
    VolumeDriver: '', WorkingDir: '', Entrypoint: null, NetworkDisabled: false, MacAddress: '', OnBuild: null, Labels: {},
  });
  // Key order and spelling of a Docker 1.9 json.Marshal of image.Image.
  const doc: Record<string, unknown> = { id };
  if (parentId) doc.parent = parentId;
  Object.assign(doc, {
    created: '2015-11-03T17:40:0' + (v1IdFor(spec.name).charCodeAt(0) % 10) + '.123456789Z',
    container: createHash('sha256').update(`container ${spec.name}`).digest('hex'),
    container_config: cc(spec.createdBy ?? ['/bin/sh', '-c', `#(nop) ADD dir:${spec.name} in /`]),
    docker_version: spec.dockerVersion ?? '1.9.1',
    config: cc(spec.cmd ?? ['sh']),
    architecture: 'amd64',
    os: 'linux',
    Size: size,
  });
  return JSON.stringify(doc);
}

export interface RootBuild {
  root: string;
  scratch: string;
  driver: LegacyDriverName;
  ids: Map<string, string>;
  tars: Map<string, string>;
  specs: Map<string, LayerSpec>;
  reuseTars?: Map<string, string>;
}

/** One layer as the legacy daemon left it after a pull or a build (used again for a later "pull"). */
export function addLayer(b: RootBuild, l: LayerSpec): void {
  const { root, scratch, driver, ids, tars, specs, reuseTars } = b;
  const chain = (name: string | undefined): string[] => (name ? [ids.get(name)!, ...chain(specs.get(name)!.parent)] : []);
  const id = v1IdFor(l.name);
  ids.set(l.name, id);
  specs.set(l.name, l);
  let tar = reuseTars?.get(l.name);
  if (!tar) {
    const tree = join(scratch, 'trees', l.name);
    buildTree(tree, l.ops);
    tar = join(scratch, `${l.name}.tar`);
    archive(tree, tar, l.writer);
  }
  tars.set(l.name, tar);
  const diff = layerPath(root, driver, id);
  if (driver !== 'aufs') {
    newLayerTree(driver, diff, l.parent ? layerPath(root, driver, ids.get(l.parent)!) : undefined);
    applyLayer(tar, diff);
  } else extractAufs(tar, diff);
  if (driver === 'aufs' && l.aufsMeta) {
    writeFileSync(join(diff, '.wh..wh.aufs'), '');
    chmodSync(join(diff, '.wh..wh.aufs'), 0);
    mkdirSync(join(diff, '.wh..wh.plnk'), { mode: 0o700 });
    mkdirSync(join(diff, '.wh..wh.orph'), { mode: 0o700 });
  }
  // Sub-microsecond times, as real hosts' extracted trees have: a migration that rounds them shows.
  retimeNs(diff);
  if (driver === 'aufs') {
    mkdirSync(join(root, 'aufs/mnt', id));
    writeFileSync(join(root, 'aufs/layers', id), chain(l.parent).map((p) => p + '\n').join(''));
  }
  const g = join(root, 'graph', id);
  mkdirSync(g, { mode: 0o700 });
  const parentId = l.parent ? ids.get(l.parent) : undefined;
  const size = Number(execFileSync('du', ['-sb', '--apparent-size', diff]).toString().split('\t')[0]);
  writeFileSync(join(g, 'json'), v1Json(l, id, parentId, size), { mode: 0o600 });
  writeFileSync(join(g, 'layersize'), String(size), { mode: 0o600 });
  if (l.checksum) writeFileSync(join(g, 'checksum'), l.checksum, { mode: 0o600 });
  if (l.parentFile && parentId) writeFileSync(join(g, 'parent'), parentId, { mode: 0o600 });
  if ((l.tarData ?? 'go') === 'go') {
    execFileSync('tar-split', ['disasm', '--no-stdout', '--output', join(g, 'tar-data.json.gz'), tar], { stdio: 'ignore' });
    chmodSync(join(g, 'tar-data.json.gz'), 0o600);
  }
}

export function buildLegacyAufsRoot(root: string, scratch: string, spec: RootSpec): BuiltRoot {
  return buildLegacyRoot(root, scratch, spec, 'aufs');
}

const DRIVER_DIRS: Record<LegacyDriverName, string[]> = {
  aufs: ['aufs/diff', 'aufs/layers', 'aufs/mnt'],
  overlay: ['overlay'],
  vfs: ['vfs/dir'],
  btrfs: ['btrfs/subvolumes'],
};

/** `reuseTars`: the layer tars of an earlier build, so that roots of several drivers hold the very same layers. */
export function buildLegacyRoot(root: string, scratch: string, spec: RootSpec, driver: LegacyDriverName, reuseTars?: Map<string, string>): BuiltRoot {
  const ids = new Map<string, string>(), tars = new Map<string, string>(), specs = new Map<string, LayerSpec>();
  for (const d of ['graph', 'containers', ...DRIVER_DIRS[driver]]) mkdirSync(join(root, d), { recursive: true });
  chmodSync(root, 0o700);
  for (const l of spec.layers) addLayer({ root, scratch, driver, ids, tars, specs, reuseTars }, l);
  const repos: Record<string, Record<string, string>> = {};
  for (const [repo, refs] of Object.entries(spec.tags ?? {})) {
    repos[repo] = {};
    for (const [k, name] of Object.entries(refs)) repos[repo]![k] = ids.get(name)!;
  }
  writeFileSync(join(root, `repositories-${driver}`), JSON.stringify({ Repositories: repos }), { mode: 0o600 });
  return { root, ids, tars, specs, driver };
}
