// config.json → config.v2.json (formats.md §6.1): Docker 1.10 replaced only "Image" and
// re-serialised the raw map (sorted keys, compacted raw values). Docker 20.10 on overlay2 also
// needs "Driver": "overlay2" (else it ignores the container) and a stopped State.
import { GoMap, marshal, Raw, type GoValue } from '../lib/gojson/encode.js';
import { parseRawObject } from '../lib/gojson/rawmap.js';
import type { ImageID } from '../lib/digest/digest.js';

const raw = (s: string) => new Raw(Buffer.from(s));

/** State with Running/Paused/Restarting false and Pid 0; exit code, times and OOMKilled kept. */
function stoppedState(state: Buffer | undefined): GoValue {
  if (!state || state.toString().trim() === 'null') return raw('null');
  const m = parseRawObject(state);
  const out = new Map<string, GoValue>([...m].map(([k, v]) => [k, new Raw(v)]));
  for (const k of ['Running', 'Paused', 'Restarting']) if (out.has(k)) out.set(k, raw('false'));
  if (out.has('Pid')) out.set('Pid', raw('0'));
  return new GoMap(out);
}

export function makeContainerConfig(config: Map<string, Buffer>, imageId: ImageID): Buffer {
  const out = new Map<string, GoValue>([...config].map(([k, v]) => [k, new Raw(v)]));
  out.set('Image', imageId);
  out.set('Driver', 'overlay2');
  out.set('State', stoppedState(config.get('State')));
  return marshal(new GoMap(out));
}

/**
 * hostconfig.json with Links rebuilt from linkgraph.db as Docker 1.10–17.03 did
 * ("<child name>:<alias>"), only when Links is null or absent; otherwise undefined.
 */
export function rebuildLinks(hostConfig: Buffer, links: string[]): Buffer | undefined {
  const m = parseRawObject(hostConfig);
  const current = m.get('Links');
  if (links.length === 0 || (current !== undefined && current.toString().trim() !== 'null')) return undefined;
  const out = new Map<string, GoValue>([...m].map(([k, v]) => [k, new Raw(v)]));
  out.set('Links', links);
  return marshal(new GoMap(out));
}
