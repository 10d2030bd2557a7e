// Messages between the main thread and checksum workers (plain data: they cross threads).
import type { DiffSource } from '../legacy-drivers/driver.js';

export interface ChecksumJob {
  v1Id: string;
  /** Legacy tar-data.json.gz, when present (Path A). */
  tarData?: string;
  /** Where Path A reads file payloads. */
  fileRoot: string;
  /** What Path B archives. */
  source: DiffSource;
  /** Where Path B writes its new tar-split (gzip). */
  pathBOut: string;
  /** verify: a Path A failure is the answer, never a reason to regenerate. */
  noFallback?: boolean;
  /** Set by the pool: not the stage's longest job, so its worker thread yields the CPU (worker.ts). */
  background?: boolean;
}

/** What every worker shares with the pool (workerData). */
export interface PoolShared {
  /** Int32[0]: layers being checksummed right now. */
  active: SharedArrayBuffer;
  workers: number;
}

export interface LayerDigest {
  v1Id: string;
  diffId: string;
  size: number;
  path: 'A' | 'B';
  /** The tar-split file to store for this layer. */
  tarSplit: string;
  /** Why Path A was not used (absent tar-data, or the error that made it fall back). */
  fallbackReason?: string;
  /** Tar stream bytes hashed. */
  bytes: number;
  seconds: number;
}

export type WorkerMessage =
  | { kind: 'progress'; v1Id: string; bytes: number }
  | { kind: 'done'; result: LayerDigest }
  | { kind: 'error'; v1Id: string; message: string; file?: string; escape: boolean };
