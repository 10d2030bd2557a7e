// Worker thread entry: run checksumLayer for each job message, report progress in small messages.
import { parentPort, workerData } from 'node:worker_threads';
import { checksumLayer, LayerError } from './job.js';
import type { ChecksumJob, PoolShared, WorkerMessage } from './types.js';

const shared = workerData as PoolShared;
const active = new Int32Array(shared.active);
/** A helper thread may take big files' CRC-64 while some worker has no layer: that core is free. */
const helper = () => Atomics.load(active, 0) < shared.workers;

const PROGRESS_EVERY = 8 << 20;

parentPort!.on('message', async (job: ChecksumJob) => {
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
