// containers/<id>/ (formats.md §1.6) and linkgraph.db (§1.7). A broken container is recorded
// with its reason and skipped later; it never stops the migration of the rest.
import { promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import { parseRawObject } from '../lib/gojson/rawmap.js';
import { isV1Id } from './records.js';

export interface LegacyContainer {
  id: string;
  dir: string;
  /** Name with its leading "/", as in config.json. */
  name: string;
  /** v1 id of its image, from config.json "Image". */
  imageV1Id?: string;
  config?: Map<string, Buffer>;
  configBytes?: Buffer;
  hostConfig?: Buffer;
  /** Where hostConfig was read from: hostconfig.json, or the original kept beside the one a pass wrote. */
  hostConfigFile?: string;
  running: boolean;
  /** Why it cannot be migrated, if it cannot. */
  problem?: string;
}

export interface LinkGraph {
  /** container id → name from the graph (without "/"). */
  names: Map<string, string>;
  /** parent container id → [{child id, alias}] */
  links: Map<string, Array<{ child: string; alias: string }>>;
}

const HEX64 = /^[a-f0-9]{64}$/;

function jsonString(raw: Buffer | undefined): string | undefined {
  if (!raw) return undefined;
  const v: unknown = JSON.parse(raw.toString('utf8'));
  return typeof v === 'string' ? v : undefined;
}

export async function readContainers(root: string, ours?: Map<string, { hostConfig?: Buffer }>): Promise<LegacyContainer[]> {
  const base = `${root}/containers`;
  const names = (await fsp.readdir(base).catch(() => [] as string[])).sort();
  const out: LegacyContainer[] = [];
  for (const id of names) {
    const dir = `${base}/${id}`;
    if (!(await fsp.lstat(dir)).isDirectory()) continue;
    const c: LegacyContainer = { id, dir, name: '', running: false };
    out.push(c);
    if (!HEX64.test(id)) {
      c.problem = 'directory name is not a container id';
      continue;
    }
    try {
      c.configBytes = await fsp.readFile(`${dir}/config.json`);
      c.config = parseRawObject(c.configBytes);
    } catch (e) {
      c.problem = `${dir}/config.json: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (e as Error).message}`;
      continue;
    }
    try {
      c.name = jsonString(c.config.get('Name')) ?? '';
      c.imageV1Id = jsonString(c.config.get('Image'));
      const state = c.config.get('State');
      const s = state ? (JSON.parse(state.toString('utf8')) as Record<string, unknown> | null) : null;
      c.running = !!(s && (s.Running === true || s.Paused === true || s.Restarting === true));
      if (jsonString(c.config.get('ID')) !== id) c.problem = `${dir}/config.json: "ID" does not match the directory name`;
    } catch (e) {
      c.problem = `${dir}/config.json: ${(e as Error).message}`;
    }
    if (!c.problem && !(c.imageV1Id && isV1Id(c.imageV1Id))) c.problem = `${dir}/config.json: "Image" is not a v1 image id`;
    c.hostConfigFile = `${dir}/hostconfig.json`;
    c.hostConfig = await fsp.readFile(c.hostConfigFile).catch(() => undefined);
    // A pass rebuilt its links: the legacy daemon's own hostconfig.json is the one kept beside it.
    const mine = ours?.get(id)?.hostConfig;
    if (mine && c.hostConfig?.equals(mine)) {
      c.hostConfigFile = `${dir}/hostconfig.json.pre-cas-migrate`;
      c.hostConfig = await fsp.readFile(c.hostConfigFile).catch(() => undefined);
    }
  }
  return out;
}

/** Read linkgraph.db with SQLite (sql.js: SQLite compiled to WebAssembly, no native build). */
export async function readLinkGraph(root: string): Promise<LinkGraph | undefined> {
  let data: Buffer;
  try {
    data = await fsp.readFile(`${root}/linkgraph.db`);
  } catch {
    return undefined;
  }
  // Imported here, not at the top: a root without linkgraph.db (every CAS-era one, most graph
  // ones) never needs it, and importing its CommonJS glue from ESM cost 7–16 ms of every
  // start (Node's CommonJS lexer reads all of it).
  const { default: initSqlJs } = await import('sql.js');
  const require = createRequire(import.meta.url);
  const SQL = await initSqlJs({ locateFile: (f: string) => require.resolve(`sql.js/dist/${f}`) });
  const db = new SQL.Database(data);
  try {
    const graph: LinkGraph = { names: new Map(), links: new Map() };
    const res = db.exec('SELECT entity_id, parent_id, name FROM edge');
    for (const [entity, parent, name] of res[0]?.values ?? []) {
      if (typeof entity !== 'string' || typeof name !== 'string') continue;
      if (parent === '0') graph.names.set(entity, name);
      else if (typeof parent === 'string' && parent !== '') {
        const l = graph.links.get(parent) ?? [];
        l.push({ child: entity, alias: name });
        graph.links.set(parent, l);
      }
    }
    return graph;
  } finally {
    db.close();
  }
}
