// Containers of a CAS-era root: containers/<id>/config.v2.json (the daemon's own, with its
// "Driver") and image/<driver>/layerdb/mounts/<id>/ (mount-id, init-id, parent). What the
// overlay2 layout needs is the same container with "Driver": "overlay2" and its init and
// writable layers under their mount ids; the rest of config.v2.json stays byte for byte.
import { promises as fsp } from 'node:fs';
import type { LegacyDriver } from '../legacy-drivers/driver.js';
import type { ChainID, ImageID } from '../lib/digest/digest.js';
import type { CasStore } from './store.js';

export interface CasContainer {
  id: string;
  dir: string;
  name: string;
  imageId?: ImageID;
  running: boolean;
  mountId?: string;
  initId?: string;
  parent?: ChainID;
  /** config.v2.json as it will be written: the source's bytes with "Driver" set to overlay2. */
  config?: Buffer;
  /** Why it cannot be migrated (the file at fault first). */
  problem?: string;
  /** The source daemon's config.v2.json: the file itself, or the original a pass kept beside its own. */
  configFile: string;
}

export async function readCasContainers(store: CasStore, driver: LegacyDriver, ours?: Map<string, { config?: Buffer }>): Promise<CasContainer[]> {
  const base = `${store.root}/containers`;
  const out: CasContainer[] = [];
  for (const id of (await fsp.readdir(base).catch(() => [] as string[])).sort()) {
    const dir = `${base}/${id}`;
    let file = `${dir}/config.v2.json`;
    const c: CasContainer = { id, dir, name: '', running: false, configFile: file };
    out.push(c);
    let bytes: Buffer;
    let doc: { ID?: unknown; Name?: unknown; Driver?: unknown; Image?: unknown; State?: { Running?: unknown } };
    try {
      bytes = await fsp.readFile(file);
      // A pass published its own: the source daemon's is the one kept beside it.
      const mine = ours?.get(id)?.config;
      if (mine && bytes.equals(mine)) {
        c.configFile = file = `${dir}/config.v2.json.pre-cas-migrate`;
        bytes = await fsp.readFile(file);
      }
      doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      c.problem = `${file}: ${err.code === 'ENOENT' ? 'missing' : err.code ?? `invalid JSON: ${err.message}`}`;
      continue;
    }
    c.name = typeof doc.Name === 'string' ? doc.Name : '';
    c.running = doc.State?.Running === true;
    if (doc.ID !== id) {
      c.problem = `${file}: "ID" is ${JSON.stringify(doc.ID)}, not the directory's name`;
      continue;
    }
    if (doc.Driver !== store.driver) {
      c.problem = `${file}: created with the ${JSON.stringify(doc.Driver)} driver, not ${store.driver}, whose layers are migrated`;
      continue;
    }
    if (typeof doc.Image !== 'string' || !store.images.has(doc.Image as ImageID)) {
      c.problem = `${file}: its image ${JSON.stringify(doc.Image)} is not in the image store`;
      continue;
    }
    c.imageId = doc.Image as ImageID;
    const m = store.mounts.get(id);
    if (!m) {
      c.problem = `${store.dir}/layerdb/mounts/${id}: missing or unreadable (mount-id, init-id, parent)`;
      continue;
    }
    Object.assign(c, { mountId: m.mountId, initId: m.initId, parent: m.parent });
    if (m.parent !== store.images.get(c.imageId)!.top) {
      c.problem = `${store.dir}/layerdb/mounts/${id}/parent: ${m.parent ?? '(none)'} is not the top layer of its image ${c.imageId}`;
      continue;
    }
    for (const layer of [m.mountId, m.initId]) if (layer && !(await driver.has(layer))) c.problem ??= `${driver.fileRoot(layer)}: the container's layer is missing`;
    if (c.problem) continue;
    const config = withDriver(bytes, 'overlay2');
    if (!config) c.problem = `${file}: no top-level "Driver" to change`;
    else c.config = config;
  }
  return out;
}

/**
 * The JSON text with the top-level "Driver" value replaced and every other byte kept (a nested
 * "Driver", such as a mount point's volume driver, is left alone). undefined when there is none.
 */
export function withDriver(json: Buffer, driver: string): Buffer | undefined {
  const s = json.toString('utf8');
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"') {
      const end = stringEnd(s, i);
      if (depth === 1 && s.slice(i, end + 1) === '"Driver"') {
        let j = end + 1;
        while (/\s/.test(s[j] ?? '')) j++;
        if (s[j] !== ':') return undefined;
        j++;
        while (/\s/.test(s[j] ?? '')) j++;
        if (s[j] !== '"') return undefined;
        const vEnd = stringEnd(s, j);
        return Buffer.from(s.slice(0, j) + JSON.stringify(driver) + s.slice(vEnd + 1), 'utf8');
      }
      i = end;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  return undefined;
}

function stringEnd(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return s.length;
}
