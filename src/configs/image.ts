// v1 JSON → v2 image config bytes (MakeConfigFromV1Config, formats.md §3.3). The image ID is
// the sha256 of exactly these bytes.
import { GoMap, marshal, Raw, type GoValue } from '../lib/gojson/encode.js';
import { parseRawObject } from '../lib/gojson/rawmap.js';
import { sha256Digest, type DiffID, type ImageID } from '../lib/digest/digest.js';
import { decodeV1Image, encodeV1Image, historyEntry, V1DecodeError } from './v1image.js';
import { versionLess } from './version.js';

const DELETED_KEYS = ['id', 'parent', 'Size', 'parent_id', 'layer_id', 'throwaway'];

export interface ImageConfig {
  bytes: Buffer;
  imageId: ImageID;
  /** This image's own history entry (children append theirs after it). */
  history: Raw[];
  diffIds: DiffID[];
}

/**
 * Build the config of a v1 image whose layer has `diffId`, on top of its parent's rootfs and
 * history. Throws V1DecodeError on what made Docker 1.10 skip the image.
 */
export function makeImageConfig(json: Buffer, diffId: DiffID, parent?: Pick<ImageConfig, 'history' | 'diffIds'>): ImageConfig {
  const decoded = decodeV1Image(json);
  const history = [...(parent?.history ?? []), historyEntry(decoded)];
  const diffIds = [...(parent?.diffIds ?? []), diffId];

  const dockerVersion = (decoded.get('docker_version') as string | undefined) ?? '';
  const source = versionLess(dockerVersion, '1.8.3') ? marshal(encodeV1Image(decoded)) : json;
  let map: Map<string, Buffer>;
  try {
    map = parseRawObject(source);
  } catch (e) {
    throw new V1DecodeError((e as Error).message);
  }
  const out = new Map<string, GoValue>();
  for (const [k, v] of map) if (!DELETED_KEYS.includes(k)) out.set(k, new Raw(v));
  out.set('rootfs', new Raw(Buffer.from(`{"type":"layers","diff_ids":[${diffIds.map((d) => `"${d}"`).join(',')}]}`)));
  out.set('history', history);
  const bytes = marshal(new GoMap(out));
  return { bytes, imageId: sha256Digest(bytes) as ImageID, history, diffIds };
}
