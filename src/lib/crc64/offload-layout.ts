// Shared-memory layout between offload.ts (the hashing thread) and its helper thread.
export const START = 0; // bumped by the hashing thread: read the range in `range` of fd FD
export const WRITTEN = 1; // chunks of the current range the helper has read and checksummed
export const CONSUMED = 2; // chunks of the current range the hashing thread is done with
export const DONE = 3; // bumped by the helper when the range is finished (STATUS, `result`)
export const HBELL = 4; // bumped by the helper after every change the hashing thread waits for
export const RBELL = 5; // bumped by the hashing thread after every change the helper waits for
export const READY = 6; // 1 once the helper thread is running
export const FD = 7;
export const STATUS = 8; // 0: every byte read; SHORT: end of file first; < 0: -errno of the read
export const ABORT = 9; // 1: the hashing thread gave up on the range, stop reading it
export const STATE_LEN = 10; // > 0: the range's CRC goes on from `state`, begun by the hashing thread
export const CTRL_WORDS = 11;
export const STATE_BYTES = 256;
export const SHORT = 1;

export interface OffloadShared {
  ctrl: SharedArrayBuffer;
  lens: SharedArrayBuffer;
  /** Float64 [offset, length] of the range to read. */
  range: SharedArrayBuffer;
  data: SharedArrayBuffer;
  result: SharedArrayBuffer;
  state: SharedArrayBuffer;
  slots: number;
  slotSize: number;
}
