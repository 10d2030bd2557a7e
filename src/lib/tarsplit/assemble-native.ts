// Reassembly with the native addon: its loop (native/tsassemble.c) parses the tar-split lines,
// opens, reads and CRC-checks the files and writes the tar stream into a buffer, on a libuv
// thread, while this thread hashes the buffer before (two cores for one layer, ≈ 22 µs of
// JavaScript a file saved: docs/performance.md). Any line the loop does not take on — a file
// too big for a buffer, a name or a JSON spelling it leaves to reader.ts, any failure — comes
// back here and is read by the portable path's own code, which gives the portable path's error;
// then the loop goes on after it. Names of both kinds meet in the addon's set, so duplicates
// are found whoever read them.
import type { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { bytesOf } from '../fs/gopath.js';
import type { ConfinedRoot } from '../fs/confined.js';
import type { NativeAddon } from '../native/native.js';
import type { AssembleResult } from './assemble.js';
import { copyEntryFile } from './entry-file.js';
import { FILE_TYPE, type Entry } from './entry.js';
import { copyReadAhead } from './readahead.js';
import { DEFAULT_MAX_LINE, lineEntry, lineTooLong } from './reader.js';

/** Stops of a run (tsassemble.h). */
const INPUT_DONE = 0, BAIL = 2;
// 2 MiB, two of them, as the batch buffers before this loop (4 MiB batches were no faster:
// docs/performance.md); big files' read-ahead borrows the same two.
const OUT = 2 << 20;

/**
 * A young-generation collection every this many bytes of gunzipped tar-split. Each gunzip chunk
 * is a fresh 256 KiB Buffer; with the lines parsed in C this thread allocates almost nothing
 * else, so V8 only collects them under "external memory pressure", every ≈ 32 MiB, and glibc
 * kept that high-water mark per thread: ≈ 34 MiB of garbage for each of two workers on the host
 * root, pushing the process past 160 MB (docs/performance.md). A scavenge costs ≈ 0.1 ms.
 */
const COLLECT_EVERY = 8 << 20;
let scavenge: (() => void) | undefined;
function collectYoung(): void {
  if (!scavenge) {
    // --expose-gc from here on, for this process (V8's flags are process-wide): gc() without the
    // command-line flag, which every entry point would need (bin/run.js, workers, tests, bench).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (o: { type: 'minor' }) => void; // gc's own type is not in @types/node
    scavenge = () => gc({ type: 'minor' });
  }
  scavenge();
}

/** Pairs of output buffers no layer is using, kept for this thread's next layer. */
const spare: Array<[Buffer, Buffer]> = [];

export interface NativeAssembleResult extends AssembleResult {
  /** Lines the loop left to JavaScript (big files, rare spellings, failures). */
  handed: number;
}

export async function assembleNative(addon: NativeAddon, input: Readable, root: ConfinedRoot, sink: (chunk: Buffer) => void): Promise<NativeAssembleResult> {
  const bufs: [Buffer, Buffer] = spare.pop() ?? [Buffer.allocUnsafe(OUT), Buffer.allocUnsafe(OUT)];
  const result = new Float64Array(5);
  const layer = addon.tarsplitOpen(root.root);
  let size = 0, bytes = 0, files = 0, handed = 0, k = 0;
  let ready: Buffer | undefined; // produced by the last run, not hashed yet
  let running: Promise<void> | undefined;
  const emit = (chunk: Buffer) => {
    sink(chunk);
    bytes += chunk.length;
  };
  const flush = () => {
    if (ready) emit(ready);
    ready = undefined;
  };
  const isNew = (cleaned: string) => !addon.tarsplitSeen(layer, bytesOf(cleaned));
  /** A line the loop left to us, after everything before it is hashed. */
  const take = async (e: Entry) => {
    handed++;
    flush();
    if (e.type !== FILE_TYPE) {
      if (e.payload?.length) emit(e.payload);
      return;
    }
    size += e.size;
    if (e.size === 0) return;
    // No run is in flight: its two buffers are free for the read-ahead.
    await copyEntryFile(e, root, (fd, n) => copyReadAhead(addon, fd, n, emit, bufs));
    files++;
  };
  /** Every whole line of data from pos, through the loop and `take`; returns where the last one ends. */
  const lines = async (data: Buffer, pos: number): Promise<number> => {
    for (;;) {
      const out = bufs[k]!;
      running = addon.tarsplitRunAsync(layer, data, pos, out, result);
      flush(); // hashed while the run fills the other buffer
      await running;
      running = undefined;
      const [next, produced, stop, dSize, dFiles] = result as unknown as [number, number, number, number, number];
      pos = next;
      size += dSize;
      files += dFiles;
      if (produced > 0) {
        ready = out.subarray(0, produced);
        k ^= 1;
      }
      if (stop === INPUT_DONE) return pos;
      if (stop !== BAIL) continue; // the buffer is full
      const nl = data.indexOf(0x0a, pos);
      if (nl - pos > DEFAULT_MAX_LINE) throw lineTooLong(DEFAULT_MAX_LINE);
      await take(lineEntry(data.subarray(pos, nl), false, isNew)!);
      pos = nl + 1;
    }
  };
  // The start of a line cut by the end of a gunzipped chunk. Only that line is joined with the
  // next chunk: joining whole chunks made 256 KiB of garbage each, and V8 collects such
  // external memory late (≈ 35 MiB more per layer's thread).
  let carry: Buffer[] = [], carried = 0, uncollected = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      if ((uncollected += chunk.length) >= COLLECT_EVERY) {
        collectYoung();
        uncollected = 0;
      }
      let pos = 0;
      if (carried) {
        const nl = chunk.indexOf(0x0a);
        const end = nl < 0 ? chunk.length : nl + 1;
        carry.push(chunk.subarray(0, end));
        carried += end;
        if (carried > DEFAULT_MAX_LINE + 1) throw lineTooLong(DEFAULT_MAX_LINE);
        if (nl < 0) continue;
        await lines(Buffer.concat(carry), 0);
        carry = [];
        carried = 0;
        pos = end;
      }
      pos = await lines(chunk, pos);
      if (pos < chunk.length) {
        carry = [chunk.subarray(pos)];
        carried = chunk.length - pos;
        if (carried > DEFAULT_MAX_LINE) throw lineTooLong(DEFAULT_MAX_LINE);
      }
    }
    flush();
    const last = carried ? lineEntry(Buffer.concat(carry), true, isNew) : undefined;
    if (last) await take(last);
  } finally {
    // A run still in flight writes into our buffers and reads the layer: wait for it.
    if (running) await running.catch(() => undefined);
    addon.tarsplitClose(layer);
    spare.push(bufs);
  }
  return { size, bytes, files, handed };
}
