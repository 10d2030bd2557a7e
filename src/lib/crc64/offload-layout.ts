// Shared-memory layout between offload.ts and its helper thread.
export const WRITTEN = 0; // chunks submitted for the current file
export const CONSUMED = 1; // chunks the helper has checksummed
export const FINISH = 2; // 1: no more chunks for this file
export const SEQ = 3; // bumped by the helper when a file's CRC is in `result`
export const BELL = 4; // bumped by the reader after every change the helper must see
export const CTRL_WORDS = 5;

export interface OffloadShared {
  ctrl: SharedArrayBuffer;
  lens: SharedArrayBuffer;
  data: SharedArrayBuffer;
  result: SharedArrayBuffer;
  slots: number;
  slotSize: number;
}
