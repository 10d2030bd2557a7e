// overlay2 driver directories (formats.md §4.7): <cacheId>/{diff,link,lower,work,committed}
// and l/<linkId> -> ../<cacheId>/diff.
import { createHash } from 'node:crypto';
import { symlinkSync } from 'node:fs';
import { mkdirMode, writeNew } from './files.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * A 26-character link id in Docker's alphabet. Docker draws it at random; we derive it from the
 * cache id so a rerun produces the same tree (docs/formats.md).
 */
export function linkIdFor(cacheId: string): string {
  const h = createHash('sha256').update(`cas-migrate link ${cacheId}`).digest();
  let bits = 0, value = 0, out = '';
  for (const byte of h) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 26) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export interface Overlay2Layer {
  cacheId: string;
  linkId: string;
  /** The lower chain of this layer's parent, nearest first, as "l/<id>" entries. */
  parentLowers?: string[];
  parentLinkId?: string;
  parentCacheId?: string;
}

export const MAX_LOWERS = 128;

/** Lower entries of a layer whose parent is given (nearest first). */
export function lowersOf(parentLinkId: string | undefined, parentLowers: string[] = []): string[] {
  return parentLinkId ? [`l/${parentLinkId}`, ...parentLowers] : [];
}

/** Everything of a layer dir except diff/ (which the legacy driver materialises). */
export async function finishLayerDir(driverRoot: string, l: Overlay2Layer, lowers: string[]): Promise<void> {
  const dir = `${driverRoot}/${l.cacheId}`;
  await writeNew(`${dir}/link`, l.linkId, 0o644);
  symlinkSync(`../${l.cacheId}/diff`, `${driverRoot}/l/${l.linkId}`);
  if (lowers.length > 0) {
    if (lowers.length > MAX_LOWERS) throw new Error(`layer ${l.cacheId} would have ${lowers.length} lower layers; overlay2 allows ${MAX_LOWERS}`);
    await writeNew(`${dir}/lower`, lowers.join(':'), 0o644);
    await mkdirMode(`${dir}/work`, 0o700);
  }
  // A parent kept from the last pass is not in this staging dir: the sync commit marks it.
  if (l.parentCacheId) await writeNew(`${driverRoot}/${l.parentCacheId}/committed`, '', 0o600).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST' && e.code !== 'ENOENT') throw e;
  });
}
