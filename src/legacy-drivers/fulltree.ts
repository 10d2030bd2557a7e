// Drivers that keep a full tree per layer (NaiveDiffDriver in Docker 1.10): vfs copies the parent
// tree, btrfs snapshots it as a subvolume. Path A reads payloads from the tree; Path B archives
// the tree (base layer) or its changes against the parent tree (formats.md §2.3.1); diff dirs
// come from the stored tar-split (image layers) or from the change walk (container layers).
import { lstatSync } from 'node:fs';
import type { V1Id } from '../discover/records.js';
import { diffFromChanges } from './changes-diff.js';
import { diffFromTarSplit } from './tarsplit-diff.js';
import type { DiffSource, LayerContext, LegacyDriver, MaterialiseMode, MaterialiseStats } from './driver.js';

export class FullTreeDriver implements LegacyDriver {
  readonly diffNeedsTarSplit = true;
  /** `layerDir`: where the driver keeps the tree of a graph id, relative to the root. */
  constructor(readonly name: string, readonly root: string, private readonly layerDir: (id: string) => string) {}

  protected tree(id: string): string {
    return `${this.root}/${this.layerDir(id)}`;
  }

  async has(id: string): Promise<boolean> {
    // lstatSync: called once per layer during discover, where a thread-pool round trip each adds up
    return lstatSync(this.tree(id), { throwIfNoEntry: false })?.isDirectory() ?? false;
  }

  fileRoot(id: string): string {
    return this.tree(id);
  }

  /** Image and container layers alike: the tree, or its changes against the parent's tree. */
  diffSource(id: V1Id | string, parent?: string): DiffSource {
    return { kind: 'naive', dir: this.tree(id), parentDir: parent === undefined ? undefined : this.tree(parent) };
  }

  containerSource(id: string, parent?: string): DiffSource {
    return this.diffSource(id, parent);
  }

  async materialise(id: string, dest: string, _mode: MaterialiseMode, ctx: LayerContext): Promise<MaterialiseStats> {
    if (ctx.tarSplit) return diffFromTarSplit(ctx.tarSplit, this.tree(id), dest);
    if (ctx.parent === undefined) throw new Error(`${this.tree(id)}: a container layer needs its parent layer`);
    return diffFromChanges(this.tree(id), this.tree(ctx.parent), dest);
  }
}

export const vfsDriver = (root: string) => new FullTreeDriver('vfs', root, (id) => `vfs/dir/${id}`);
export const btrfsDriver = (root: string) => new FullTreeDriver('btrfs', root, (id) => `btrfs/subvolumes/${id}`);
