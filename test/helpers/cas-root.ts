// CAS-era roots (Docker 1.10–23) written by a real dockerd 20.10: images built from layer tars
// of real tar writers are `docker load`ed into a daemon running the legacy `overlay` or `vfs`
// driver, containers are created, changed with `docker cp` and run, and the daemon is stopped.
// aufs cannot run on these kernels, so a CAS aufs root is laid out from a dockerd-written one as
// moby's aufs driver wrote it (docs/formats.md "CAS-era roots" cites the source lines).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { archive, buildTree, type Op, type Writer } from './layer-tree.js';
import { startDockerd, type Dockerd } from './dockerd.js';

export interface CasLayerSpec {
  name: string;
  writer: Writer;
  ops: Op[];
}

export interface CasImageSpec {
  tags: string[];
  layers: string[];
  cmd: string[];
}

export interface CasRootSpec {
  layers: CasLayerSpec[];
  images: CasImageSpec[];
}

export interface BuiltCasRoot {
  root: string;
  driver: 'overlay' | 'vfs' | 'aufs';
  /** tag → image ID, as the source daemon reported it. */
  imageIds: Map<string, string>;
  /** tag → `docker save` of that image by the source daemon. */
  saves: Map<string, Buffer>;
  /** tag → `docker export` of a container created from it by the source daemon. */
  imageExports: Map<string, Buffer>;
  /** container name → its id, `docker export` and logs by the source daemon. */
  containers: Map<string, { id: string; export: Buffer; logs: string }>;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A `docker save`-format archive (manifest.json, config, layer tars) for `docker load`. */
function imageArchive(dir: string, spec: CasImageSpec, tars: Map<string, string>): string {
  mkdirSync(dir, { recursive: true });
  const diffIds: string[] = [];
  const layerPaths: string[] = [];
  for (const name of spec.layers) {
    const data = readFileSync(tars.get(name)!);
    const h = sha(data);
    diffIds.push(`sha256:${h}`);
    mkdirSync(join(dir, h), { recursive: true });
    writeFileSync(join(dir, h, 'layer.tar'), data);
    layerPaths.push(`${h}/layer.tar`);
  }
  const config = JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2019-06-01T10:00:00.123456789Z',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: spec.cmd },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: spec.layers.map((l) => ({ created: '2019-06-01T10:00:00Z', created_by: `/bin/sh -c #(nop) ADD ${l} /` })),
  });
  const configName = `${sha(Buffer.from(config))}.json`;
  writeFileSync(join(dir, configName), config);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: spec.tags, Layers: layerPaths }]));
  const out = `${dir}.tar`;
  execFileSync('tar', ['-cf', out, '-C', dir, '.']);
  return out;
}

export interface CasContainerSpec {
  name: string;
  image: string;
  cmd: string[];
  /** Run it (it exits) instead of only creating it. */
  run?: boolean;
  /** Files copied in with `docker cp` afterwards: path → content. */
  cp?: Record<string, string>;
}

/** Write a CAS-era root with a real dockerd on `driver` (overlay or vfs). */
export async function buildCasRoot(root: string, scratch: string, driver: 'overlay' | 'vfs', spec: CasRootSpec, containers: CasContainerSpec[]): Promise<BuiltCasRoot> {
  const tars = new Map<string, string>();
  for (const l of spec.layers) {
    const tree = join(scratch, 'trees', l.name);
    buildTree(tree, l.ops);
    tars.set(l.name, join(scratch, `${l.name}.tar`));
    archive(tree, tars.get(l.name)!, l.writer);
  }
  const d = await startDockerd(root, join(scratch, `state-${driver}`), `cas-src-${driver}`, driver);
  const built: BuiltCasRoot = { root, driver, imageIds: new Map(), saves: new Map(), imageExports: new Map(), containers: new Map() };
  try {
    for (const [i, img] of spec.images.entries()) {
      d.docker(['load', '-i', imageArchive(join(scratch, `image-${i}`), img, tars)]);
      for (const t of img.tags) built.imageIds.set(t, d.docker(['image', 'inspect', '--format', '{{.Id}}', t]).trim());
    }
    for (const c of containers) {
      const id = d.docker(['create', '--pull', 'never', '--name', c.name, c.image, ...c.cmd]).trim();
      if (c.run) d.docker(['start', '-a', c.name]);
      for (const [path, content] of Object.entries(c.cp ?? {})) {
        const f = join(scratch, `cp-${c.name}-${path.replace(/\//g, '_')}`);
        writeFileSync(f, content);
        d.docker(['cp', f, `${c.name}:${path}`]);
      }
      built.containers.set(c.name, { id, export: d.dockerRaw(['export', id]), logs: d.docker(['logs', id]) });
    }
    for (const t of built.imageIds.keys()) {
      built.saves.set(t, d.dockerRaw(['save', t]));
      const cid = d.docker(['create', '--pull', 'never', t]).trim();
      built.imageExports.set(t, d.dockerRaw(['export', cid]));
      d.docker(['rm', cid]);
    }
  } finally {
    await stop(d);
  }
  return built;
}

async function stop(d: Dockerd): Promise<void> {
  await d.stop();
}

/**
 * A CAS aufs root laid out from a dockerd-written overlay root, as moby's aufs driver (v1.10–23,
 * daemon/graphdriver/aufs/aufs.go) left it: aufs/diff/<id> holds a layer's own entries with
 * whiteouts as `.wh.<name>` files and opaque dirs marked by `.wh..wh..opq` (pkg/archive
 * whiteouts.go), aufs/layers/<id> lists its ancestors nearest first, aufs/mnt/<id> is empty, and
 * every branch has the `.wh..wh.aufs`, `.wh..wh.plnk` and `.wh..wh.orph` that aufs itself adds.
 * Image layers are the layer tars extracted keeping `.wh.` files (ApplyDiff with
 * WhiteoutFormat AUFS); container layers are the overlay upper/ dirs converted to that format.
 */
export function aufsFromOverlay(src: BuiltCasRoot, root: string, tars: (diffId: string) => string): BuiltCasRoot {
  execFileSync('cp', ['-a', src.root, root]);
  renameSync(join(root, 'image/overlay'), join(root, 'image/aufs'));
  for (const d of ['diff', 'layers', 'mnt']) mkdirSync(join(root, 'aufs', d), { recursive: true });
  const layerdb = join(root, 'image/aufs/layerdb/sha256');
  const parentOf = new Map<string, string | undefined>();
  for (const hex of readdirSync(layerdb)) {
    const dir = join(layerdb, hex);
    const cacheId = readFileSync(join(dir, 'cache-id'), 'utf8');
    const parent = existsSync(join(dir, 'parent')) ? readFileSync(join(dir, 'parent'), 'utf8').slice(7) : undefined;
    parentOf.set(cacheId, parent ? readFileSync(join(layerdb, parent, 'cache-id'), 'utf8') : undefined);
    const diff = join(root, 'aufs/diff', cacheId);
    mkdirSync(diff);
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '--same-owner', '-xpf', tars(readFileSync(join(dir, 'diff'), 'utf8')), '-C', diff]);
  }
  const ancestry = (id: string | undefined): string[] => (id ? [id, ...ancestry(parentOf.get(id))] : []);
  const mounts = join(root, 'image/aufs/layerdb/mounts');
  for (const ctr of readdirSync(mounts)) {
    const mountId = readFileSync(join(mounts, ctr, 'mount-id'), 'utf8');
    const initId = readFileSync(join(mounts, ctr, 'init-id'), 'utf8');
    const top = readFileSync(join(layerdb, readFileSync(join(mounts, ctr, 'parent'), 'utf8').slice(7), 'cache-id'), 'utf8');
    parentOf.set(initId, top);
    parentOf.set(mountId, initId);
    for (const id of [initId, mountId]) {
      const diff = join(root, 'aufs/diff', id);
      execFileSync('cp', ['-a', join(root, 'overlay', id, 'upper'), diff]);
      execFileSync('python3', ['-c', OVERLAY_TO_AUFS, diff]);
    }
    const cfg = join(root, 'containers', ctr, 'config.v2.json');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('"Driver":"overlay"', '"Driver":"aufs"'));
  }
  for (const id of parentOf.keys()) {
    writeFileSync(join(root, 'aufs/layers', id), ancestry(parentOf.get(id)).map((a) => `${a}\n`).join(''));
    mkdirSync(join(root, 'aufs/mnt', id));
    const diff = join(root, 'aufs/diff', id);
    if (!existsSync(join(diff, '.wh..wh.aufs'))) writeFileSync(join(diff, '.wh..wh.aufs'), '', { mode: 0 });
    mkdirSync(join(diff, '.wh..wh.plnk'), { mode: 0o700 });
    mkdirSync(join(diff, '.wh..wh.orph'), { mode: 0o700 });
  }
  rmSync(join(root, 'overlay'), { recursive: true });
  return { ...src, root, driver: 'aufs' };
}

// Kernel-overlay whiteouts (char 0:0) → aufs `.wh.<name>` files; trusted.overlay.opaque → `.wh..wh..opq`.
const OVERLAY_TO_AUFS = `
import os, stat, sys
top = os.fsencode(sys.argv[1])
times = {d: (os.lstat(d).st_atime_ns, os.lstat(d).st_mtime_ns) for d, _, _ in os.walk(top)}
for dirpath, dirnames, filenames in os.walk(top):
    for n in dirnames + filenames:
        p = os.path.join(dirpath, n)
        st = os.lstat(p)
        if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
            os.unlink(p)
            # aufs makes a whiteout a hard link to the branch's whiteout base when it can
            base = os.path.join(top, b'.wh..wh.aufs')
            if not os.path.exists(base):
                open(base, 'wb').close()
                os.chmod(base, 0)
            os.link(base, os.path.join(dirpath, b'.wh.' + n))
    try:
        if os.getxattr(dirpath, 'trusted.overlay.opaque') == b'y':
            os.removexattr(dirpath, 'trusted.overlay.opaque')
            open(os.path.join(dirpath, b'.wh..wh..opq'), 'wb').close()
    except OSError:
        pass
for d, t in times.items(): os.utime(d, ns=t)  # as aufs left them: the conversion is not a change
`;
