// One module per legacy graph driver, behind this interface. The stages only see these
// methods, never a driver's directory names.
import type { V1Id } from '../discover/records.js';

/** How Path B regenerates a layer tar (formats.md §2.3.1). Plain data: it crosses to workers. */
export type DiffSource =
  /** aufs: the layer's own directory archived by TarWithOptions. */
  | { kind: 'dir'; dir: string; excludeAufsMeta: boolean }
  /** Full-tree drivers (NaiveDiffDriver): the whole tree for a base layer, else ChangesDirs against the parent's tree. */
  | { kind: 'naive'; dir: string; parentDir?: string };

/** What a layer's materialisation may need besides its graph id. */
export interface LayerContext {
  /** Graph id of the parent layer (image parent; the init layer or image top for containers). */
  parent?: string;
  /** The tar-split stored for this image layer: it lists exactly the layer's own entries. */
  tarSplit?: string;
  /** Stop early (the migration failed): a walk checks it whenever it yields. */
  signal?: AbortSignal;
}

export interface MaterialiseStats {
  files: number;
  linked: number;
  /** Regular files whose data is shared by a reflink (hard links impossible, e.g. across btrfs subvolumes). */
  cloned: number;
  copied: number;
  /** Regular-file bytes written by copies. */
  copiedBytes: number;
  whiteouts: number;
  opaqueDirs: number;
  droppedMeta: string[];
  /** aufs pseudo-links (.wh..wh.plnk entries) that could not be kept. */
  pseudoLinks: number;
}

export const emptyStats = (): MaterialiseStats => ({ files: 0, linked: 0, cloned: 0, copied: 0, copiedBytes: 0, whiteouts: 0, opaqueDirs: 0, droppedMeta: [], pseudoLinks: 0 });

/** 'link': image layers, files hardlinked (read-only forever). 'copy': container layers, which a container writes in place. */
export type MaterialiseMode = 'link' | 'copy';

export interface LegacyDriver {
  readonly name: string;
  /**
   * Whether an image layer's materialise needs its tar-split (ctx.tarSplit), so waits for the
   * layer's checksum: full-tree drivers take the layer's own entries from it; aufs dirs hold
   * exactly the layer's changes already.
   */
  readonly diffNeedsTarSplit: boolean;
  /** Whether the driver holds data for this graph id. */
  has(id: string): Promise<boolean>;
  /** Directory Path A reads tar-split payloads from (formats.md §2.2). */
  fileRoot(id: string): string;
  /** What Path B archives (formats.md §2.3.1). */
  diffSource(id: V1Id, parent?: V1Id): DiffSource;
  /** A container layer's own changes, for sizing (parent: the init layer, or the image's top layer). */
  containerSource(id: string, parent?: string): DiffSource;
  /** Write a layer's own changes (image layer, or container init/RW layer by graph id) as an overlay2 diff dir at dest (must not exist yet). */
  materialise(id: string, dest: string, mode: MaterialiseMode, ctx: LayerContext): Promise<MaterialiseStats>;
}
