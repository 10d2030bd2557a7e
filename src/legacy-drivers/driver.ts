// One module per legacy graph driver, behind this interface. The stages only see these
// methods, never a driver's directory names.
import type { V1Id } from '../discover/records.js';

/** How Path B regenerates a layer tar: a directory archived by Docker 1.10's TarWithOptions. */
export interface DirDiffSource {
  kind: 'dir';
  dir: string;
  /** aufs: exclude top-level ".wh..wh.*" except ".wh..wh..opq" (formats.md §2.3.1). */
  excludeAufsMeta: boolean;
}

export interface MaterialiseStats {
  files: number;
  linked: number;
  copied: number;
  /** Regular-file bytes written by copies. */
  copiedBytes: number;
  whiteouts: number;
  opaqueDirs: number;
  droppedMeta: string[];
  /** aufs pseudo-links (.wh..wh.plnk entries) that could not be kept. */
  pseudoLinks: number;
}

/** 'link': image layers, files hardlinked (read-only forever). 'copy': container layers, which a container writes in place. */
export type MaterialiseMode = 'link' | 'copy';

export interface LegacyDriver {
  readonly name: string;
  /** Whether the driver holds data for this graph id. */
  has(id: string): Promise<boolean>;
  /** Directory Path A reads tar-split payloads from (formats.md §2.2). */
  fileRoot(id: string): string;
  /** What Path B archives (formats.md §2.3.1). */
  diffSource(id: V1Id): DirDiffSource;
  /** Write a layer's own changes (image layer, or container init/RW layer by graph id) as an overlay2 diff dir at dest (must not exist yet). */
  materialise(id: string, dest: string, mode: MaterialiseMode): Promise<MaterialiseStats>;
}
