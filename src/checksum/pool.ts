// A small pool of worker threads, one layer job at a time per worker, biggest layers first.
// Plain worker_threads rather than piscina: jobs stream progress messages back while they run
// and a fatal layer error must stop every worker at once; both are a few lines here.
import { promises as fsp } from 'node:fs';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { ChecksumJob, LayerDigest, PoolShared, WorkerMessage } from './types.js';

/** A layer's checksum failed; `file`: the file at fault, as the worker named it. */
export class ChecksumFailure extends Error {
  constructor(message: string, readonly file?: string) {
    super(message);
  }
}

export interface PoolEvents {
  onBytes?: (v1Id: string, bytes: number) => void;
  onDone?: (d: LayerDigest) => void;
  /** When given, a failed job is reported here and the others go on (verify wants every problem). */
  onError?: (v1Id: string, message: string) => void;
  /** A layer ran its worker out of the bounded heap and is run again without the bound. */
  onUnbounded?: (v1Id: string) => void;
}

/**
 * Each worker's V8 heap is bounded: left alone, V8 grew every worker's young generation to 32 MiB
 * and let garbage pile up in the old one, ≈ 50 MiB a worker on the bench's host root, for a
 * working set of a few MiB (a layer's entries stream through). Bounded, the host root's checksum
 * phase went from ≈ 220 to ≈ 145 MiB and did not get slower (docs/performance.md). With the
 * addon a layer's set of names lives in C, outside this bound; the portable path keeps it in
 * JavaScript, and a layer whose names do not fit there (about a million files) makes its worker
 * run out of heap: that layer alone is run again in a worker without the bound.
 */
export const WORKER_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 };

export async function runChecksums(
  jobs: Array<ChecksumJob & { weight: number }>,
  workers: number,
  events: PoolEvents = {},
  limits: ResourceLimits = WORKER_LIMITS,
): Promise<Map<string, LayerDigest>> {
  const queue = [...jobs].sort((a, b) => b.weight - a.weight);
  const results = new Map<string, LayerDigest>();
  if (queue.length === 0) return results;
  const longest = queue[0];
  // libuv starts its thread pool at its first use, and the threads inherit that thread's
  // priority: used first by a background worker (worker.ts), every read and tar-split run of
  // the process would go at nice 19. One call from this thread starts the pool first.
  await fsp.access('/').catch(() => undefined);
  const n = Math.max(1, Math.min(workers, queue.length));
  const pool: Worker[] = [];
  const shared: PoolShared = { active: new SharedArrayBuffer(4), workers };
  const active = new Int32Array(shared.active);
  return new Promise((resolve, reject) => {
    let failed = false;
    const stop = (err?: Error) => {
      if (failed) return;
      if (err) failed = true;
      for (const w of pool) void w.terminate();
      if (err) reject(err);
      else resolve(results);
    };
    let failures = 0;
    /** The job each worker holds, and the bytes it has reported for it so far. */
    const holding = new Map<Worker, { job: ChecksumJob & { weight: number }; bytes: number }>();
    const unbounded = new Set<string>();
    // `active` counts the workers holding a layer; a worker going straight on to its next job
    // is never counted out, so other workers' helper threads see a free core only when one is.
    const feed = (w: Worker, wasActive: boolean) => {
      holding.delete(w);
      const job = queue.shift();
      if (!job) {
        if (wasActive) Atomics.sub(active, 0, 1);
        if (results.size + failures === jobs.length) stop();
        return;
      }
      if (!wasActive) Atomics.add(active, 0, 1);
      holding.set(w, { job, bytes: 0 });
      const { weight: _w, ...plain } = job;
      w.postMessage({ ...plain, background: job !== longest });
    };
    /** A worker that ran out of its bounded heap: its layer goes again, first, in a worker without the bound. */
    const outOfHeap = (w: Worker) => {
      const held = holding.get(w);
      holding.delete(w);
      pool.splice(pool.indexOf(w), 1);
      if (held) {
        if (unbounded.has(held.job.v1Id)) return false;
        unbounded.add(held.job.v1Id);
        if (held.bytes) events.onBytes?.(held.job.v1Id, -held.bytes);
        events.onUnbounded?.(held.job.v1Id);
        queue.unshift(held.job);
        Atomics.sub(active, 0, 1);
      }
      start(undefined);
      return true;
    };
    const start = (resourceLimits: ResourceLimits | undefined) => {
      const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: shared, resourceLimits });
      pool.push(w);
      w.on('message', (m: WorkerMessage) => {
        if (failed) return;
        if (m.kind === 'progress') {
          const held = holding.get(w);
          if (held) held.bytes += m.bytes;
          events.onBytes?.(m.v1Id, m.bytes);
        } else if (m.kind === 'error') {
          if (!events.onError) return stop(new ChecksumFailure(m.message, m.file));
          failures++;
          events.onError(m.v1Id, m.message);
          feed(w, true);
        }
        else {
          results.set(m.result.v1Id, m.result);
          events.onDone?.(m.result);
          feed(w, true);
        }
      });
      w.on('error', (e) => {
        if (failed || ((e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' && outOfHeap(w))) return;
        stop(e);
      });
      feed(w, false);
    };
    for (let i = 0; i < n; i++) start(limits);
  });
}
