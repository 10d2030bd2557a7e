// Worker thread entry: run checksumLayer for each job message, report progress in small messages.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { checksumLayer, LayerError } from './job.js';
import type { ChecksumJob, PoolShared, WorkerMessage } from './types.js';

const shared = workerData as PoolShared;
const active = new Int32Array(shared.active);
/** A helper thread may take big files' CRC-64 while some worker has no layer: that core is free. */
const helper = () => Atomics.load(active, 0) < shared.workers;

const PROGRESS_EVERY = 8 << 20;

/**
 * The stage's longest job (the biggest layer, sent first) bounds the stage, so every other job's
 * thread runs at the lowest priority and takes the cores that one leaves: the small layers stay
 * off its core instead of taking turns with its SHA-256. On the bench mix the checksum phase
 * went 0.94–1.02 → 0.83–0.92 s in same-hour pairs (docs/performance.md). Linux keeps a nice
 * value per thread, so this lowers this worker's thread only (setpriority(2), "BUGS"); it is
 * never raised again, which would need privilege, and needs none: every job after the first is
 * a background one.
 */
let lowered = false;
function yieldCpu(): void {
  if (lowered) return;
  lowered = true;
  try {
    setPriority(19);
  } catch {
    // Not allowed here (a seccomp profile, say): the job runs at the priority it has.
  }
}

parentPort!.on('message', async (job: ChecksumJob) => {
  if (job.background) yieldCpu();
  let pending = 0;
  const post = (m: WorkerMessage) => parentPort!.postMessage(m);
  try {
    const result = await checksumLayer(job, (n) => {
      pending += n;
      if (pending >= PROGRESS_EVERY) {
        post({ kind: 'progress', v1Id: job.v1Id, bytes: pending });
        pending = 0;
      }
    }, helper);
    if (pending) post({ kind: 'progress', v1Id: job.v1Id, bytes: pending });
    post({ kind: 'done', result });
  } catch (e) {
    const le = e instanceof LayerError ? e : undefined;
    post({ kind: 'error', v1Id: job.v1Id, message: (e as Error).message, file: le?.file, escape: le?.escape ?? false });
  }
});
