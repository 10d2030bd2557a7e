// The migration report: what the text table, --json and the progress display are made from.
// Field names are stable (docs/cli.md documents them).

export interface LayerRow {
  v1Id: string;
  diffId: string;
  chainId: string;
  /** Sum of regular-file payload bytes (Docker's layer size). */
  size: number;
  path: 'A' | 'B';
  fallbackReason?: string;
  /** Tar stream bytes hashed and wall seconds of this layer's checksum. */
  bytes: number;
  seconds: number;
  /** Set when an earlier v1 layer already owns this ChainID (the data dir is not used). */
  sameAs?: string;
  cacheId?: string;
}

export interface ImageRow {
  v1Id: string;
  imageId: string;
  parentImageId?: string;
  layers: number;
  refs: string[];
}

export interface ContainerRow {
  id: string;
  name: string;
  /** A reference of its image (or the image ID when untagged). */
  image: string;
  imageId: string;
  /** Regular-file bytes of writable data copied (init + RW layers). */
  bytes: number;
  seconds: number;
  wasRunning: boolean;
  links: string[];
  /** Why it was not migrated. */
  skipped?: string;
  /** Not migrated by this (online) pass, and why: the final pass does it. */
  deferred?: string;
}

export type { Finding } from '../discover/records.js';
import type { Finding } from '../discover/records.js';

export interface MigrationReport {
  root: string;
  target: string;
  driver: string;
  /** What the root was: a pre-1.10 graph/ (IDs computed) or a CAS-era image/<driver>/ store (IDs kept). */
  medium?: 'graph' | 'cas';
  dryRun: false;
  /** A rerun on a finished root: nothing was done, this is the recorded report. */
  alreadyMigrated?: boolean;
  /** A sync found nothing changed since the last pass: nothing was written. */
  upToDate?: boolean;
  /** What this pass changed against the last one (a rerun is a sync). */
  sync?: SyncSummary;
  /** A legacy daemon ran on the root during the pass: the result is provisional. */
  provisional?: { daemonPid: number; deferred: string[] };
  /** This run finished an interrupted one (from the journal). */
  resumed?: boolean;
  /** Layers whose checksum an interrupted run had already made (checkpoints), reused after a cheap check. */
  reusedLayers?: number;
  layers: LayerRow[];
  images: ImageRow[];
  containers: ContainerRow[];
  refs: { migrated: number; skipped: Array<{ ref: string; reason: string }> };
  materialise: { files: number; linked: number; cloned: number; copied: number; whiteouts: number; opaqueDirs: number; droppedAufsMeta: number; pseudoLinksLost: number };
  findings: Finding[];
  timings: { discover: number; checksum: number; configs: number; write: number; total: number };
  /** What computed the checksums: the native addon or the portable path (src/lib/native/native.ts). */
  engine?: string;
  totals: { layers: number; uniqueLayers: number; images: number; bytes: number; size: number; pathA: number; pathB: number };
  nextSteps: string[];
}

export type ProgressEvent =
  | { kind: 'phase'; phase: string }
  | { kind: 'checksum-start'; layers: number }
  | { kind: 'bytes'; bytes: number }
  | { kind: 'layer-checksummed'; v1Id: string; diffId: string; path: 'A' | 'B'; seconds: number }
  | { kind: 'warning'; finding: Finding };

export interface SyncSummary {
  layersAdded: number;
  layersRemoved: number;
  /** Recorded before, but their inputs changed: read and written again. */
  layersRewritten: number;
  /** Unchanged since the last pass: not read. */
  layersKept: number;
  containersAdded: number;
  containersRemoved: number;
  containersRewritten: number;
  refsAdded: string[];
  refsRemoved: string[];
}
