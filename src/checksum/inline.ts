// A sync's few small changed layers, checksummed in this thread. The final pass of the
// zero-downtime path usually reads one small pulled layer: a worker takes ≈ 80 ms to come online
// and more to load Path A, most of that pass, for a job of a few milliseconds
// (docs/performance.md). Same job function and the same errors as a worker (worker.ts).
import { ChecksumFailure, type PoolEvents } from './pool.js';
import type { ChecksumJob, LayerDigest } from './types.js';

/** At most this much work goes inline; anything bigger is worth the workers. */
const INLINE_JOBS = 8;
const INLINE_BYTES = 8 << 20;

export function smallEnoughInline(jobs: Array<ChecksumJob & { weight: number }>): boolean {
  return jobs.length > 0 && jobs.length <= INLINE_JOBS && jobs.reduce((n, j) => n + j.weight, 0) <= INLINE_BYTES;
}

export async function checksumInline(jobs: Array<ChecksumJob & { weight: number }>, events: PoolEvents = {}): Promise<Map<string, LayerDigest>> {
  // Loaded here: the main thread needs Path A only on this path.
  const { checksumLayer, LayerError } = await import('./job.js');
  const results = new Map<string, LayerDigest>();
  for (const { weight: _w, ...job } of jobs) {
    try {
      const d = await checksumLayer(job, (n) => events.onBytes?.(job.v1Id, n));
      results.set(d.v1Id, d);
      events.onDone?.(d);
    } catch (e) {
      const message = (e as Error).message;
      if (!events.onError) throw new ChecksumFailure(message, e instanceof LayerError ? e.file : undefined);
      events.onError(job.v1Id, message);
    }
  }
  return results;
}
