// One layer's checksum: Path A when tar-data is present and sound, else Path B (formats.md
// §2.1.1: any Path A error falls back, as Docker did). A name that would leave the layer is
// never a fallback: it stops the migration. Pure function: the worker and the tests call it.
import { promises as fsp } from 'node:fs';
import { EscapeError } from '../lib/fs/confined.js';
import { checksumPathA } from './pathA.js';
import type { HelperGate } from '../lib/tarsplit/assemble.js';
import type { ChecksumJob, LayerDigest } from './types.js';

export class LayerError extends Error {
  constructor(readonly v1Id: string, readonly file: string, readonly reason: string, readonly escape: boolean) {
    super(`layer ${v1Id}: ${file}: ${reason}`);
  }
}

export async function checksumLayer(job: ChecksumJob, onBytes: (n: number) => void = () => {}, helper?: HelperGate): Promise<LayerDigest> {
  const t0 = performance.now();
  let fallbackReason = 'no tar-data.json.gz';
  if (job.tarData) {
    try {
      const a = await checksumPathA(job.tarData, job.fileRoot, onBytes, helper);
      return { v1Id: job.v1Id, ...a, path: 'A', tarSplit: job.tarData, seconds: (performance.now() - t0) / 1000 };
    } catch (e) {
      if (e instanceof EscapeError) throw new LayerError(job.v1Id, `${job.tarData} entry ${e.message}`, 'refusing to read outside the layer', true);
      if (job.noFallback) throw new LayerError(job.v1Id, job.tarData, (e as Error).message, false);
      fallbackReason = `${job.tarData}: ${(e as Error).message}`;
    }
  }
  try {
    await fsp.rm(job.pathBOut, { force: true }); // a torn leftover of a killed run
    // Loaded on first use: the tar generator and change walk double a worker's start-up time,
    // and most layers never need them.
    const { checksumPathB } = await import('./pathB.js');
    const b = await checksumPathB(job.source, job.pathBOut, onBytes);
    return { v1Id: job.v1Id, ...b, path: 'B', tarSplit: job.pathBOut, fallbackReason, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    await fsp.rm(job.pathBOut, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new LayerError(job.v1Id, err.path ? String(err.path) : job.source.dir, `cannot regenerate the layer tar: ${err.message}`, false);
  }
}
