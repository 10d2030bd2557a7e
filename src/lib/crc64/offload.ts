// Big files on two threads, so that one big file keeps two cores busy: a helper thread reads the
// file into a ring of shared-memory slots and computes each slot's CRC-64 while the bytes are in
// its core's cache; the calling thread only hashes SHA-256 (the tar stream) out of the slots.
// Reading on the hashing thread as well cost the 1 GiB file of the bench ≈ 0.2 s over its
// SHA-256 alone (docs/performance.md). Both sides block on futexes (Atomics.wait): no messages.
import { Worker } from 'node:worker_threads';
import { readError, ShortReadError } from '../fs/read-errors.js';
import { ABORT, CONSUMED, CTRL_WORDS, DONE, FD, HBELL, RBELL, READY, SHORT, START, STATE_BYTES, STATE_LEN, STATUS, WRITTEN, type OffloadShared } from './offload-layout.js';

const SLOTS = 4;
const SLOT_SIZE = 4 << 20;

export class CrcOffload {
  private static instance?: CrcOffload;
  private readonly shared: OffloadShared;
  private readonly ctrl: Int32Array;
  private readonly lens: Int32Array;
  private readonly range: Float64Array;
  private readonly slotBufs: Buffer[];

  /** One helper per thread, started on first use and never keeping the process alive. */
  static get(): CrcOffload {
    return (CrcOffload.instance ??= new CrcOffload());
  }

  private constructor() {
    this.shared = {
      ctrl: new SharedArrayBuffer(CTRL_WORDS * 4),
      lens: new SharedArrayBuffer(SLOTS * 4),
      range: new SharedArrayBuffer(16),
      data: new SharedArrayBuffer(SLOTS * SLOT_SIZE),
      result: new SharedArrayBuffer(8),
      state: new SharedArrayBuffer(STATE_BYTES),
      slots: SLOTS,
      slotSize: SLOT_SIZE,
    };
    this.ctrl = new Int32Array(this.shared.ctrl);
    this.lens = new Int32Array(this.shared.lens);
    this.range = new Float64Array(this.shared.range);
    this.slotBufs = Array.from({ length: SLOTS }, (_, i) => Buffer.from(this.shared.data, i * SLOT_SIZE, SLOT_SIZE));
    const helper = new Worker(new URL('./offload-worker.js', import.meta.url), { workerData: this.shared });
    // A helper that cannot start leaves READY at 0: big files are then read on the calling
    // thread, slower but the same bytes. Say so once instead of crashing the process.
    helper.on('error', (e) => process.emitWarning(`cas-migrate: CRC helper thread failed (${e.message}); reading big files on one thread`));
    helper.unref();
  }

  /** Whether the helper thread is up (it starts on first get(); until then the caller goes on alone). */
  ready(): boolean {
    return Atomics.load(this.ctrl, READY) === 1;
  }

  private ring(): void {
    Atomics.add(this.ctrl, RBELL, 1);
    Atomics.notify(this.ctrl, RBELL);
  }

  /**
   * Feed `length` bytes of `fd` from `offset` on to `sink`, chunk by chunk (each chunk is reused
   * once the sink returns), and return their CRC-64, big-endian, going on from `state` (a
   * Crc64.save() of the bytes before `offset`, or empty). A read error is thrown as Node's
   * error; a file that ends early as ShortReadError.
   */
  copy(fd: number, offset: number, length: number, state: Uint8Array, sink: (chunk: Buffer) => void): Buffer {
    if (state.length > STATE_BYTES) throw new Error(`CRC-64 state of ${state.length} bytes does not fit`);
    const c = this.ctrl;
    new Uint8Array(this.shared.state).set(state);
    c[STATE_LEN] = state.length;
    c[FD] = fd;
    this.range[0] = offset;
    this.range[1] = length;
    const done = Atomics.load(c, DONE);
    Atomics.store(c, WRITTEN, 0);
    Atomics.store(c, CONSUMED, 0);
    Atomics.store(c, ABORT, 0);
    Atomics.add(c, START, 1); // after the plain writes above: the helper's Atomics.load sees them
    Atomics.notify(c, START);
    try {
      for (let n = 0; ; ) {
        const bell = Atomics.load(c, HBELL);
        if (n < Atomics.load(c, WRITTEN)) {
          sink(this.slotBufs[n % SLOTS]!.subarray(0, this.lens[n % SLOTS]!));
          Atomics.store(c, CONSUMED, ++n);
          this.ring();
          continue;
        }
        // The helper stores its last WRITTEN before DONE: look at WRITTEN again after DONE.
        if (Atomics.load(c, DONE) !== done) {
          if (n < Atomics.load(c, WRITTEN)) continue;
          break;
        }
        Atomics.wait(c, HBELL, bell);
      }
    } catch (e) {
      Atomics.store(c, ABORT, 1);
      this.ring();
      for (let bell = Atomics.load(c, HBELL); Atomics.load(c, DONE) === done; bell = Atomics.load(c, HBELL)) Atomics.wait(c, HBELL, bell);
      throw e;
    }
    const status = c[STATUS]!;
    if (status === SHORT) throw new ShortReadError();
    if (status < 0) throw readError(status);
    return Buffer.from(new Uint8Array(this.shared.result).slice());
  }
}
