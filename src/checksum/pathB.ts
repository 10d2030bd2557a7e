// Path B: regenerate the layer tar from the driver's diff dir by Docker 1.10's rules, hash it,
// and disassemble it into a new tar-split (§2.3).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { tarDirectory } from '../lib/archive/tardir.js';
import { TarDisassembler } from '../lib/tarsplit/disassemble.js';
import { TarSplitPacker } from '../lib/tarsplit/writer.js';
import { isAufsMeta } from '../legacy-drivers/aufs.js';

export async function checksumPathB(dir: string, excludeAufsMeta: boolean, out: string, onBytes: (n: number) => void) {
  const sha = createHash('sha256');
  const packer = new TarSplitPacker();
  const written = pipeline(packer.gzip, createWriteStream(out, { mode: 0o644, flags: 'wx' }));
  const dis = new TarDisassembler((e) => packer.add(e));
  let bytes = 0;
  const skip = excludeAufsMeta ? (rel: string, _st: unknown, depth: number) => isAufsMeta(rel, depth) : undefined;
  try {
    for await (const chunk of tarDirectory(dir, skip)) {
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
  return { diffId: 'sha256:' + sha.digest('hex'), size: dis.size, bytes };
}
