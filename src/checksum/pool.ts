// A small pool of worker threads, one layer job at a time per worker, biggest layers first.
// Plain worker_threads rather than piscina: jobs stream progress messages back while they run
// and a fatal layer error must stop every worker at once; both are a few lines here.
import { Worker } from 'node:worker_threads';
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
}

export async function runChecksums(
  jobs: Array<ChecksumJob & { weight: number }>,
  workers: number,
  events: PoolEvents = {},
): Promise<Map<string, LayerDigest>> {
  const queue = [...jobs].sort((a, b) => b.weight - a.weight);
  const results = new Map<string, LayerDigest>();
  if (queue.length === 0) return results;
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
    // `active` counts the workers holding a layer; a worker going straight on to its next job
    // is never counted out, so other workers' helper threads see a free core only when one is.
    const feed = (w: Worker, wasActive: boolean) => {
      const job = queue.shift();
      if (!job) {
        if (wasActive) Atomics.sub(active, 0, 1);
        if (results.size + failures === jobs.length) stop();
        return;
      }
      if (!wasActive) Atomics.add(active, 0, 1);
      const { weight: _w, ...plain } = job;
      w.postMessage(plain);
    };
    for (let i = 0; i < n; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: shared });
      pool.push(w);
      w.on('message', (m: WorkerMessage) => {
        if (failed) return;
        if (m.kind === 'progress') events.onBytes?.(m.v1Id, m.bytes);
        else if (m.kind === 'error') {
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
      w.on('error', (e) => stop(e));
      feed(w, false);
    }
  });
}
