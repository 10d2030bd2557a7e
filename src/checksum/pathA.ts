// Path A: reassemble the layer tar from the legacy tar-split and the driver's files (§2.2).
import { createHash } from 'node:crypto';
import { ConfinedRoot } from '../lib/fs/confined.js';
import { native } from '../lib/native/native.js';
import type { HelperGate } from '../lib/tarsplit/assemble.js';
import { assembleNative } from '../lib/tarsplit/assemble-native.js';
import { openTarSplit, readEntries } from '../lib/tarsplit/reader.js';

export async function checksumPathA(tarData: string, fileRoot: string, onBytes: (n: number) => void, helper?: HelperGate) {
  const sha = createHash('sha256');
  const input = openTarSplit(tarData);
  const sink = (chunk: Buffer) => {
    sha.update(chunk);
    onBytes(chunk.length);
  };
  const root = new ConfinedRoot(fileRoot);
  try {
    // The portable path is loaded only without the addon: its CRC-64 (hash-wasm) and helper
    // thread cost every worker ≈ 8 ms of start-up.
    const r = native ? await assembleNative(native, input, root, sink) : await (await import('../lib/tarsplit/assemble.js')).assemble(readEntries(input), root, sink, { helper });
    return { diffId: 'sha256:' + sha.digest('hex'), size: r.size, bytes: r.bytes };
  } finally {
    input.destroy();
  }
}
