// The CRC-64 helper thread of offload.ts: checksums the slots the reading thread fills, in order,
// and publishes each file's CRC when told the file is finished. Blocks on futexes, no messages.
import { workerData } from 'node:worker_threads';
import { Crc64 } from './crc64.js';
import { BELL, CONSUMED, FINISH, READY, RESUME, SEQ, STATE_LEN, WRITTEN, type OffloadShared } from './offload-layout.js';

const shared = workerData as OffloadShared;
const ctrl = new Int32Array(shared.ctrl);
const lens = new Int32Array(shared.lens);
const data = new Uint8Array(shared.data);
const result = new Uint8Array(shared.result);
const state = new Uint8Array(shared.state);
let crc = new Crc64();
Atomics.store(ctrl, READY, 1);

for (;;) {
  const bell = Atomics.load(ctrl, BELL);
  const written = Atomics.load(ctrl, WRITTEN), consumed = Atomics.load(ctrl, CONSUMED);
  if (consumed < written) {
    const slot = consumed % shared.slots;
    if (consumed === 0 && Atomics.load(ctrl, RESUME) === 1) {
      crc = Crc64.resume(state.subarray(0, ctrl[STATE_LEN]!));
      Atomics.store(ctrl, RESUME, 0);
    }
    crc.update(data.subarray(slot * shared.slotSize, slot * shared.slotSize + lens[slot]!));
    Atomics.store(ctrl, CONSUMED, consumed + 1);
    Atomics.notify(ctrl, CONSUMED);
    continue;
  }
  if (Atomics.load(ctrl, FINISH) === 1) {
    result.set(crc.digest());
    crc = new Crc64();
    Atomics.store(ctrl, WRITTEN, 0);
    Atomics.store(ctrl, CONSUMED, 0);
    Atomics.store(ctrl, FINISH, 0);
    Atomics.store(ctrl, RESUME, 0); // a file that failed before its first chunk
    Atomics.add(ctrl, SEQ, 1);
    Atomics.notify(ctrl, SEQ);
    continue;
  }
  Atomics.wait(ctrl, BELL, bell); // any state change rings the bell after this load
}
