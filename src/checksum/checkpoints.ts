// Per-layer checkpoints: each finished checksum is appended to <staging>/checksums.jsonl, so a
// rerun after a kill skips the layers already done. A checkpoint is reused only if the layer's
// inputs look unchanged: a cheap check of the tar-data file (size, mtime) and the diff dir
// (mtime), and, for Path B, that its regenerated tar-split is still there (Path B fsyncs it before
// its checkpoint exists). The lines are fsync'd once, at the end of the stage, not one by one
// (≈ 0.4 ms each on the main thread here): a kill loses none of them, and a power loss only the
// lines of the last moments, which the rerun computes again; a torn line ends the reading.
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync } from 'node:fs';
import type { LayerDigest } from './types.js';

interface Checkpoint {
  stamp: string;
  digest: LayerDigest;
}

export function inputStamp(tarData: string | undefined, diffDir: string): string {
  const t = tarData ? statSync(tarData, { bigint: true, throwIfNoEntry: false }) : undefined;
  const d = statSync(diffDir, { bigint: true, throwIfNoEntry: false });
  return `${t ? `${t.size}:${t.mtimeNs}` : '-'}|${d ? d.mtimeNs : '-'}`;
}

export class Checkpoints {
  private readonly done = new Map<string, Checkpoint>();
  private fd?: number;

  constructor(private readonly file: string) {
    if (!existsSync(file)) return;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const c = JSON.parse(line) as Checkpoint;
        this.done.set(c.digest.v1Id, c);
      } catch {
        break; // a torn last line from a kill mid-append: everything before it stands
      }
    }
  }

  /** The recorded result for a layer whose inputs still carry the same stamp. */
  reuse(v1Id: string, stamp: string): LayerDigest | undefined {
    const c = this.done.get(v1Id);
    if (!c || c.stamp !== stamp) return undefined;
    if (c.digest.path === 'B' && !existsSync(c.digest.tarSplit)) return undefined;
    return c.digest;
  }

  record(stamp: string, digest: LayerDigest): void {
    this.fd ??= openSync(this.file, 'a', 0o600);
    appendFileSync(this.fd, JSON.stringify({ stamp, digest }) + '\n');
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
