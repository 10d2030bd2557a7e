// Path B: regenerate the layer tar from the driver's data by Docker 1.10's rules, hash it, and
// disassemble it into a new tar-split (§2.3).
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { changesDirs } from '../lib/archive/changes.js';
import { tarChanges, tarDirectory } from '../lib/archive/tardir.js';
import { joinAbs } from '../lib/fs/walk.js';
import { TarDisassembler } from '../lib/tarsplit/disassemble.js';
import { TarSplitPacker } from '../lib/tarsplit/writer.js';
import { isAufsMeta } from '../legacy-drivers/aufs.js';
import type { DiffSource } from '../legacy-drivers/driver.js';

/**
 * The deterministic stand-in for Docker's time.Now() on a whiteout: the mtime (seconds) of the
 * directory that held the deleted name in the new tree, i.e. when the deletion happened.
 */
function whiteoutTime(dir: string) {
  return async (rel: string): Promise<number> => {
    const parent = rel.includes('/') ? dirname(rel) : '';
    const st = await fsp.lstat(parent === '' ? dir : joinAbs(dir, parent), { bigint: true });
    return Number(st.mtimeNs / 1_000_000_000n);
  };
}

export async function layerTar(source: DiffSource): Promise<AsyncGenerator<Buffer>> {
  if (source.kind === 'dir') return tarDirectory(source.dir, source.excludeAufsMeta ? (rel, _st, depth) => isAufsMeta(rel, depth) : undefined);
  if (source.parentDir === undefined) return tarDirectory(source.dir);
  return tarChanges(source.dir, await changesDirs(source.dir, source.parentDir), whiteoutTime(source.dir));
}

export async function checksumPathB(source: DiffSource, out: string, onBytes: (n: number) => void) {
  const sha = createHash('sha256');
  const packer = new TarSplitPacker();
  const written = pipeline(packer.gzip, createWriteStream(out, { mode: 0o644, flags: 'wx' }));
  const dis = new TarDisassembler((e) => packer.add(e));
  let bytes = 0;
  try {
    for await (const chunk of await layerTar(source)) {
      sha.update(chunk);
      dis.write(chunk);
      bytes += chunk.length;
      onBytes(chunk.length);
      if (packer.gzip.writableNeedDrain) await once(packer.gzip, 'drain');
    }
    dis.end();
  } finally {
    packer.end();
    await written;
  }
  // Durable before the checkpoint that names it is written (checkpoints.ts): a rerun after a
  // power loss must not reuse a tar-split whose data never reached the disk.
  const fh = await fsp.open(out, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { diffId: 'sha256:' + sha.digest('hex'), size: dis.size, bytes };
}
