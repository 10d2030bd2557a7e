// The checksum stage: layers with a valid checkpoint from an interrupted run are reused, the rest
// run on the worker pool, and each result is checkpointed as soon as it arrives.
import { Checkpoints, inputStamp } from './checkpoints.js';
import { runChecksums, type PoolEvents } from './pool.js';
import { checksumInline, smallEnoughInline } from './inline.js';
import type { ChecksumJob, LayerDigest } from './types.js';

export async function checksumStage(
  jobs: Array<ChecksumJob & { weight: number }>,
  workers: number,
  checkpointFile: string,
  events: PoolEvents,
  /** Results already known (a sync's unchanged layers): not run, not checkpointed, not reported as done. */
  known: Map<string, LayerDigest> = new Map(),
): Promise<{ digests: Map<string, LayerDigest>; reused: number }> {
  const cp = new Checkpoints(checkpointFile);
  const digests = new Map<string, LayerDigest>(known);
  jobs = jobs.filter((j) => !known.has(j.v1Id));
  const stamps = new Map(jobs.map((j) => [j.v1Id, inputStamp(j.tarData, j.source.dir)]));
  const todo = jobs.filter((j) => {
    const d = cp.reuse(j.v1Id, stamps.get(j.v1Id)!);
    if (d) {
      digests.set(j.v1Id, d);
      events.onDone?.(d);
    }
    return !d;
  });
  const reused = jobs.length - todo.length + known.size;
  try {
    const poolEvents: PoolEvents = {
      ...events,
      onDone: (d) => {
        cp.record(stamps.get(d.v1Id)!, d);
        events.onDone?.(d);
      },
    };
    // A sync pass (some layers known) with a little left to read does it in this thread.
    const fresh = known.size > 0 && smallEnoughInline(todo) ? await checksumInline(todo, poolEvents) : await runChecksums(todo, workers, poolEvents);
    for (const [id, d] of fresh) digests.set(id, d);
  } finally {
    cp.close();
  }
  return { digests, reused };
}
