// Reading graph/<v1id>/ (formats.md §1.2–§1.4).
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { isDigest, type Digest } from '../lib/digest/digest.js';
import { errorFinding, isV1Id, RootError, type Finding, type LegacyLayer, type V1Id } from './records.js';

const CHECKSUM_RE = /^[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+$/;

// Synchronous reads: discover runs alone, and an awaited thread-pool round trip per file made a
// 10 000-layer root take seconds (docs/performance.md).
function readIfExists(p: string): Buffer | undefined {
  try {
    return readFileSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

// Go's struct decoder falls back to a case-insensitive key match.
function goField(o: Record<string, unknown>, key: string): unknown {
  if (key in o) return o[key];
  let v: unknown;
  for (const k of Object.keys(o)) if (k.toLowerCase() === key.toLowerCase()) v = o[k];
  return v;
}

function stringField(o: Record<string, unknown>, key: string, file: string, id: string): string {
  const v = goField(o, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new RootError(file, `"${key}" is not a string`, id);
  return v;
}

/** Parent per getParent of Docker 1.10: JSON parent, else parent_id's hex, the parent file wins. */
export function resolveParent(dir: string, id: V1Id, json: Buffer): { parent?: string; file: string } {
  const file = `${dir}/json`;
  let o: unknown;
  try {
    o = JSON.parse(json.toString('utf8'));
  } catch (e) {
    throw new RootError(file, `invalid JSON: ${(e as Error).message}`, id);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new RootError(file, 'not a JSON object', id);
  const rec = o as Record<string, unknown>;
  const ownId = stringField(rec, 'id', file, id);
  if (ownId !== '' && ownId !== id) throw new RootError(file, `"id" is ${JSON.stringify(ownId)} but the directory is ${id}`, id);
  let parent = stringField(rec, 'parent', file, id);
  if (parent === '') {
    const pid = stringField(rec, 'parent_id', file, id);
    if (pid !== '') parent = pid.slice(pid.indexOf(':') + 1);
  }
  const override = readIfExists(`${dir}/parent`);
  if (override && override.length > 0) return { parent: override.toString('latin1'), file: `${dir}/parent` };
  return { parent: parent === '' ? undefined : parent, file };
}

function parseChecksum(raw: Buffer | undefined): Digest | undefined {
  if (!raw) return undefined;
  const s = raw.toString('latin1');
  if (!CHECKSUM_RE.test(s)) return undefined;
  const lower = s.toLowerCase();
  // Only sha256 blob digests are recorded; 20.10 accepts lower-case hex only (§3.8).
  return isDigest(lower) ? lower : undefined;
}

/** Readable layers, plus an error finding (and a `broken` entry) for each unreadable one. */
export function readGraph(root: string, findings: Finding[], broken: Set<string>): Map<V1Id, LegacyLayer> {
  const graph = `${root}/graph`;
  let names: string[];
  try {
    names = readdirSync(graph).sort();
  } catch (e) {
    throw new RootError(graph, `cannot read the legacy graph directory (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  const layers = new Map<V1Id, LegacyLayer>();
  for (const name of names) {
    if (name === '_tmp') continue; // the legacy daemon's scratch dir
    try {
      const layer = readLayer(graph, name);
      layers.set(layer.v1Id, layer);
    } catch (e) {
      if (!(e instanceof RootError)) throw e;
      findings.push(errorFinding(e));
      broken.add(name);
    }
  }
  return layers;
}

function readLayer(graph: string, name: string): LegacyLayer {
  {
    if (!isV1Id(name)) throw new RootError(`${graph}/${name}`, 'graph entry is not a v1 id (64 lower-case hex digits)');
    const dir = `${graph}/${name}`;
    const json = readIfExists(`${dir}/json`);
    if (!json) throw new RootError(`${dir}/json`, 'missing v1 image JSON', name);
    const { parent, file: parentFile } = resolveParent(dir, name, json);
    if (parent !== undefined && !isV1Id(parent)) throw new RootError(parentFile, `parent ${JSON.stringify(parent)} is not a v1 id`, name);
    const tarData = lstatSync(`${dir}/tar-data.json.gz`, { throwIfNoEntry: false })?.isFile() ? `${dir}/tar-data.json.gz` : undefined;
    const sizeText = readIfExists(`${dir}/layersize`)?.toString('latin1');
    const layerSize = sizeText && /^\d+$/.test(sizeText) ? Number(sizeText) : undefined;
    return { v1Id: name, parent, parentFile, json, tarData, checksum: parseChecksum(readIfExists(`${dir}/checksum`)), layerSize };
  }
}
