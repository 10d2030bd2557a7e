// Shared-memory layout between offload.ts and its helper thread.
export const WRITTEN = 0; // chunks submitted for the current file
export const CONSUMED = 1; // chunks the helper has checksummed
export const FINISH = 2; // 1: no more chunks for this file
export const SEQ = 3; // bumped by the helper when a file's CRC is in `result`
export const BELL = 4; // bumped by the reader after every change the helper must see
export const READY = 5; // 1 once the helper thread is running
export const RESUME = 6; // 1: the next file's CRC goes on from `state` (STATE_LEN bytes), begun by the reader
export const STATE_LEN = 7;
export const CTRL_WORDS = 8;
export const STATE_BYTES = 256;

export interface OffloadShared {
  ctrl: SharedArrayBuffer;
  lens: SharedArrayBuffer;
  data: SharedArrayBuffer;
  result: SharedArrayBuffer;
  state: SharedArrayBuffer;
  slots: number;
  slotSize: number;
}
