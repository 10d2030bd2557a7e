// One line of a tar-split stream (formats.md §5.2).
import { goString } from '../gojson/encode.js';

export const FILE_TYPE = 1;
export const SEGMENT_TYPE = 2;

export interface FileEntry {
  type: typeof FILE_TYPE;
  /** Raw name bytes (name_raw if present, else the UTF-8 of name). */
  name: Buffer;
  size: number;
  /** CRC-64 of the payload (8 bytes), or null for size 0. */
  payload: Buffer | null;
  position: number;
}

export interface SegmentEntry {
  type: typeof SEGMENT_TYPE;
  payload: Buffer | null;
  position: number;
}

export type Entry = FileEntry | SegmentEntry;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(b: Buffer): boolean {
  try {
    utf8.decode(b);
    return true;
  } catch {
    return false;
  }
}

/** Serialise as Go's json.Encoder would (struct order, omitempty, one trailing newline). */
export function encodeEntry(e: Entry): string {
  let s = `{"type":${e.type}`;
  if (e.type === FILE_TYPE && e.name.length > 0) {
    if (isUtf8(e.name)) s += `,"name":${goString(e.name.toString('utf8'))}`;
    else s += `,"name_raw":"${e.name.toString('base64')}"`;
  }
  if (e.type === FILE_TYPE && e.size !== 0) s += `,"size":${e.size}`;
  s += `,"payload":${e.payload === null ? 'null' : `"${e.payload.toString('base64')}"`}`;
  return s + `,"position":${e.position}}\n`;
}
