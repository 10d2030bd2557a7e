// The helper thread of offload.ts: reads the range it is given into the ring's slots, computes
// the CRC-64 of each slot while it is still in this core's cache, and hands the slot to the
// hashing thread. Blocks on futexes, no messages.
import { readSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { Crc64 } from './crc64.js';
import { ABORT, CONSUMED, DONE, FD, HBELL, RBELL, READY, SHORT, START, STATE_LEN, STATUS, WRITTEN, type OffloadShared } from './offload-layout.js';

const shared = workerData as OffloadShared;
const ctrl = new Int32Array(shared.ctrl);
const lens = new Int32Array(shared.lens);
const range = new Float64Array(shared.range);
const slots = Array.from({ length: shared.slots }, (_, i) => Buffer.from(shared.data, i * shared.slotSize, shared.slotSize));
const result = new Uint8Array(shared.result);
const state = new Uint8Array(shared.state);

function ring(): void {
  Atomics.add(ctrl, HBELL, 1);
  Atomics.notify(ctrl, HBELL);
}

/** Wait until slot `n` is free again (or the hashing thread aborted): false on abort. */
function free(n: number): boolean {
  for (;;) {
    const bell = Atomics.load(ctrl, RBELL);
    if (Atomics.load(ctrl, ABORT) === 1) return false;
    if (n - Atomics.load(ctrl, CONSUMED) < slots.length) return true;
    Atomics.wait(ctrl, RBELL, bell);
  }
}

/** Read and checksum one range: 0, SHORT or -errno (what STATUS holds). */
function readRange(crc: Crc64): number {
  const fd = ctrl[FD]!;
  let pos = range[0]!, left = range[1]!;
  for (let n = 0; left > 0; n++) {
    if (!free(n)) return 0; // the result is not looked at
    const slot = slots[n % slots.length]!;
    let got: number;
    try {
      got = readSync(fd, slot, 0, Math.min(slot.length, left), pos);
    } catch (e) {
      const errno = (e as NodeJS.ErrnoException).errno; // negative in Node, as libuv gives it
      return errno !== undefined && errno < 0 ? errno : -5; // EIO when Node did not say
    }
    if (got === 0) return SHORT;
    crc.update(slot.subarray(0, got));
    lens[n % slots.length] = got;
    pos += got;
    left -= got;
    Atomics.store(ctrl, WRITTEN, n + 1);
    ring();
  }
  return 0;
}

let seen = 0;
Atomics.store(ctrl, READY, 1);
for (;;) {
  while (Atomics.load(ctrl, START) === seen) Atomics.wait(ctrl, START, seen);
  seen = Atomics.load(ctrl, START);
  try {
    const len = ctrl[STATE_LEN]!;
    const crc = len > 0 ? Crc64.resume(state.subarray(0, len)) : new Crc64();
    ctrl[STATUS] = readRange(crc);
    result.set(crc.digest());
  } catch {
    // Never leave the hashing thread blocked on a range that will not finish.
    ctrl[STATUS] = -5; // EIO
  }
  Atomics.add(ctrl, DONE, 1);
  ring();
}
