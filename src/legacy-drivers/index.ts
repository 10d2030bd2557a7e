// Driver detection, as the v1.10-migrator did it: exactly one legacy driver dir with data. A
// driver dir counts only when it holds a layer of graph/ (when one can tell): on hosts of Docker
// ≤ 1.6, vfs/dir/ also holds volume data next to an aufs or overlay graph.
import { lstatSync, promises as fsp } from 'node:fs';
import { isV1Id, RootError } from '../discover/records.js';
import { AufsDriver } from './aufs.js';
import type { LegacyDriver } from './driver.js';
import { btrfsDriver, vfsDriver } from './fulltree.js';
import { OverlayDriver } from './overlay.js';

export const KNOWN_DRIVERS = ['aufs', 'overlay', 'vfs', 'btrfs', 'devicemapper', 'zfs'] as const;
const DRIVERS: Record<string, (root: string) => LegacyDriver> = {
  aufs: (root) => new AufsDriver(root),
  overlay: (root) => new OverlayDriver(root),
  vfs: vfsDriver,
  btrfs: btrfsDriver,
};

/** Why a detected driver cannot be read, and what the operator can do instead (docs/drivers.md). */
const REFUSED: Record<string, string> = {
  devicemapper:
    'devicemapper layers live in thin-provisioned block devices that only the kernel device-mapper can open, and cas-migrate does not activate them; ' +
    'migrate with `docker save` / `docker load`, or mount each layer device read-only into a vfs-shaped root and run with --driver vfs (docs/drivers.md)',
  zfs:
    'zfs layers are ZFS datasets that cas-migrate does not mount; ' +
    'migrate with `docker save` / `docker load`, or mount each layer dataset read-only into a vfs-shaped root and run with --driver vfs (docs/drivers.md)',
};

async function nonEmptyDir(p: string): Promise<boolean> {
  const st = await fsp.lstat(p).catch(() => undefined);
  if (!st?.isDirectory()) return false;
  return (await fsp.readdir(p)).length > 0;
}

async function hasData(root: string, name: string, graphIds: string[]): Promise<boolean> {
  const dir = name === 'vfs' ? `${root}/vfs/dir` : name === 'btrfs' ? `${root}/btrfs/subvolumes` : `${root}/${name}`;
  if (!(await nonEmptyDir(dir))) return false;
  if (graphIds.length === 0) return true;
  const make = DRIVERS[name];
  if (make) {
    const d = make(root);
    for (const id of graphIds) if (await d.has(id)) return true;
    return false;
  }
  if (name === 'devicemapper') return graphIds.some((id) => lstatSync(`${dir}/metadata/${id}`, { throwIfNoEntry: false }) !== undefined);
  return true; // zfs keeps datasets elsewhere: a non-empty zfs/ is all there is to see
}

/** The driver module for a name (aufs, overlay, vfs, btrfs) reading `root`. */
export function driverFor(name: string, root: string): LegacyDriver {
  const make = DRIVERS[name];
  if (!make) throw new RootError(`${root}/${name}`, `the ${name} driver is not supported: ${REFUSED[name] ?? `supported: ${Object.keys(DRIVERS).join(', ')}`}`);
  return make(root);
}

export async function detectDriver(root: string, wanted?: string): Promise<LegacyDriver> {
  const graphIds = (await fsp.readdir(`${root}/graph`).catch(() => [] as string[])).filter(isV1Id);
  const found: string[] = [];
  for (const d of KNOWN_DRIVERS) if (await hasData(root, d, graphIds)) found.push(d);
  let name: string;
  if (wanted) {
    if (!found.includes(wanted)) throw new RootError(root, `--driver ${wanted} given but the root holds no ${wanted} data (found: ${found.join(', ') || 'none'})`);
    name = wanted;
  } else if (found.length === 1) name = found[0]!;
  else if (found.length === 0) throw new RootError(root, 'no legacy graph driver data found (expected one of aufs/, overlay/, vfs/dir/, btrfs/, devicemapper/, zfs/)');
  else throw new RootError(root, `data for several legacy drivers found (${found.join(', ')}); choose one with --driver`);
  const make = DRIVERS[name];
  if (!make) throw new RootError(`${root}/${name}`, `the ${name} driver is not supported: ${REFUSED[name] ?? `supported: ${Object.keys(DRIVERS).join(', ')}`}`);
  return make(root);
}
