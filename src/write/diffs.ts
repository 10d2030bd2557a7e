// overlay2 diff dirs written while the checksum stage still runs. A layer's diff dir never needs
// its DiffID: an aufs layer needs only its legacy files, so every aufs layer is queued when the
// stage starts; a full-tree driver's layer needs the tar-split it will store (for Path B, the one
// its checksum writes), so it is queued as soon as its checksum is done. Either way the main
// thread links in the time the workers leave free, instead of in a write stage after all of them
// (docs/performance.md: the write stage was ≈ 0.45 s of a 2.2 s migration of the bench mix).
// One layer at a time: the linking is synchronous file calls, and the walk yields to the event
// loop often enough (the aufs walk: every YIELD_EVERY entries) that the pool keeps being fed.
import { promises as fsp } from 'node:fs';
import { RootError } from '../discover/records.js';
import type { LayerContext, LegacyDriver, MaterialiseStats } from '../legacy-drivers/driver.js';
import { mkdirMode } from './files.js';
import type { Staging } from './staging.js';

/** mkdir <cacheId>/ and materialise diff/ in it, errors named by the layer. */
async function materialiseLayer(staging: Staging, driver: LegacyDriver, v1Id: string, cacheId: string, ctx: LayerContext): Promise<MaterialiseStats> {
  const dir = `${staging.driverRoot}/${cacheId}`;
  try {
    await mkdirMode(dir, 0o710);
    return await driver.materialise(v1Id, `${dir}/diff`, 'link', ctx);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new RootError(err.path ? String(err.path) : driver.fileRoot(v1Id), `cannot write the overlay2 layer: ${err.code ?? err.message}`, v1Id);
  }
}

export class DiffWriter {
  private readonly started = new Map<string, Promise<MaterialiseStats>>();
  private tail: Promise<unknown> = Promise.resolve();
  /** Aborted when the migration fails: queued layers are skipped, the one being linked stops. */
  private readonly abort = new AbortController();

  /** cacheIdOf: the overlay2 dir a v1 layer gets if it owns its ChainID. */
  constructor(
    private readonly staging: Staging,
    private readonly driver: LegacyDriver,
    private readonly cacheIdOf: (v1Id: string) => string,
  ) {}

  /** Queue a layer: with the tar-split it will store, or without one where the driver needs none (diffNeedsTarSplit). */
  add(v1Id: string, tarSplit?: string): void {
    if (this.started.has(v1Id)) return;
    const signal = this.abort.signal;
    const p = this.tail.then(() => {
      signal.throwIfAborted();
      return materialiseLayer(this.staging, this.driver, v1Id, this.cacheIdOf(v1Id), { tarSplit, signal });
    });
    p.catch(() => {}); // reported by take(); a failure must not stop the layers queued after it
    this.tail = p.catch(() => {});
    this.started.set(v1Id, p);
  }

  /** The layer's stats, materialising it now if it was never queued. */
  take(v1Id: string, tarSplit: string): Promise<MaterialiseStats> {
    this.add(v1Id, tarSplit);
    return this.started.get(v1Id)!;
  }

  /**
   * Remove the dirs of layers that turned out not to own their ChainID (an identical layer came
   * first in migration order), after every queued layer is done.
   */
  async dropAllBut(owners: Set<string>): Promise<void> {
    await this.settle();
    for (const v1Id of this.started.keys())
      if (!owners.has(v1Id)) await fsp.rm(`${this.staging.driverRoot}/${this.cacheIdOf(v1Id)}`, { recursive: true, force: true });
  }

  /** Wait until every queued layer is written. */
  async settle(): Promise<void> {
    await this.tail;
  }

  /**
   * After a failure, before the staging dir is discarded: stop writing and wait until nothing is.
   * With every aufs layer queued when the checksum stage starts, waiting for all of them would
   * make a migration that failed in its first second link the whole root before saying so.
   */
  async cancel(): Promise<void> {
    this.abort.abort(new Error('the migration failed'));
    await this.tail;
  }
}
