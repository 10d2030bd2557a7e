// CRC-64 of big files on a second thread, so that one big file keeps two cores busy: the reading
// thread hashes SHA-256 (the tar stream) while a helper thread computes the file's CRC-64 from
// the same bytes in shared memory. A ring of slots: the reader fills slot i % SLOTS, hands it
// over, and reuses a slot only once the helper is done with it. Both sides block on futexes
// (Atomics.wait), so a file costs no message round trips. Measured in docs/performance.md.
import { Worker } from 'node:worker_threads';
import { BELL, CONSUMED, CTRL_WORDS, FINISH, READY, RESUME, SEQ, STATE_BYTES, STATE_LEN, WRITTEN, type OffloadShared } from './offload-layout.js';

const SLOTS = 4;
const SLOT_SIZE = 4 << 20;

export class CrcOffload {
  private static instance?: CrcOffload;
  private readonly shared: OffloadShared;
  private readonly ctrl: Int32Array;
  private readonly lens: Int32Array;
  private readonly slotBufs: Buffer[];
  private next = 0;

  /** One helper per thread, started on first use and never keeping the process alive. */
  static get(): CrcOffload {
    return (CrcOffload.instance ??= new CrcOffload());
  }

  private constructor() {
    this.shared = {
      ctrl: new SharedArrayBuffer(CTRL_WORDS * 4),
      lens: new SharedArrayBuffer(SLOTS * 4),
      data: new SharedArrayBuffer(SLOTS * SLOT_SIZE),
      result: new SharedArrayBuffer(8),
      state: new SharedArrayBuffer(STATE_BYTES),
      slots: SLOTS,
      slotSize: SLOT_SIZE,
    };
    this.ctrl = new Int32Array(this.shared.ctrl);
    this.lens = new Int32Array(this.shared.lens);
    this.slotBufs = Array.from({ length: SLOTS }, (_, i) => Buffer.from(this.shared.data, i * SLOT_SIZE, SLOT_SIZE));
    new Worker(new URL('./offload-worker.js', import.meta.url), { workerData: this.shared }).unref();
  }

  private ring(): void {
    Atomics.add(this.ctrl, BELL, 1);
    Atomics.notify(this.ctrl, BELL);
  }

  /** Whether the helper thread is up (it starts on first get(); until then the reader goes on alone). */
  ready(): boolean {
    return Atomics.load(this.ctrl, READY) === 1;
  }

  /** The current file's CRC was begun on the reading thread: the helper goes on from this state (Crc64.save). */
  resume(state: Uint8Array): void {
    if (state.length > STATE_BYTES) throw new Error(`CRC-64 state of ${state.length} bytes does not fit`);
    new Uint8Array(this.shared.state).set(state);
    this.ctrl[STATE_LEN] = state.length;
    Atomics.store(this.ctrl, RESUME, 1); // after the plain writes above: the helper's Atomics.load sees them
  }

  /** The buffer to read the next chunk of the current file into (waits for a free slot). */
  slot(): Buffer {
    for (;;) {
      const consumed = Atomics.load(this.ctrl, CONSUMED);
      if (this.next - consumed < SLOTS) return this.slotBufs[this.next % SLOTS]!;
      Atomics.wait(this.ctrl, CONSUMED, consumed);
    }
  }

  /** Hand the slot from slot(), filled with `len` bytes, to the helper. */
  submit(len: number): void {
    this.lens[this.next % SLOTS] = len;
    this.next++;
    Atomics.store(this.ctrl, WRITTEN, this.next);
    this.ring();
  }

  /** The CRC-64 of every byte submitted since the last finish(), big-endian. */
  finish(): Buffer {
    const seq = Atomics.load(this.ctrl, SEQ);
    Atomics.store(this.ctrl, FINISH, 1);
    this.ring();
    while (Atomics.load(this.ctrl, SEQ) === seq) Atomics.wait(this.ctrl, SEQ, seq);
    this.next = 0;
    return Buffer.from(new Uint8Array(this.shared.result).slice());
  }
}
