// overlay (v1): image layers keep a full tree in overlay/<id>/root (files hardlinked to the
// parent's, so the change walk prunes them by inode); container layers keep a kernel-overlay
// upper/ dir, which is already overlay2's diff format (formats.md §1.8, §6.2).
import { lstatSync } from 'node:fs';
import { copyTree } from '../lib/fs/copy.js';
import { emptyStats, type DiffSource, type LayerContext, type MaterialiseMode, type MaterialiseStats } from './driver.js';
import { FullTreeDriver } from './fulltree.js';

export class OverlayDriver extends FullTreeDriver {
  constructor(root: string) {
    super('overlay', root, (id) => `overlay/${id}/root`);
  }

  private upper(id: string): string {
    return `${this.root}/overlay/${id}/upper`;
  }

  private isContainerLayer(id: string): boolean {
    return lstatSync(this.upper(id), { throwIfNoEntry: false })?.isDirectory() ?? false;
  }

  override async has(id: string): Promise<boolean> {
    return (await super.has(id)) || this.isContainerLayer(id);
  }

  override fileRoot(id: string): string {
    return this.isContainerLayer(id) && !lstatSync(this.tree(id), { throwIfNoEntry: false }) ? this.upper(id) : this.tree(id);
  }

  override containerSource(id: string): DiffSource {
    return { kind: 'dir', dir: this.upper(id), excludeAufsMeta: false };
  }

  override async materialise(id: string, dest: string, mode: MaterialiseMode, ctx: LayerContext): Promise<MaterialiseStats> {
    if (ctx.tarSplit) return super.materialise(id, dest, mode, ctx);
    const stats = emptyStats();
    const r = await copyTree(Buffer.from(this.upper(id)), Buffer.from(dest));
    stats.files = stats.copied = r.entries;
    stats.copiedBytes = r.bytes;
    return stats;
  }
}
