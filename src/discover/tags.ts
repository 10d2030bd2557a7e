// repositories-<driver> (formats.md §1.5).
import { promises as fsp } from 'node:fs';
import { RootError, type LegacyTags } from './records.js';

export async function readTags(root: string, driver: string): Promise<LegacyTags> {
  const file = `${root}/repositories-${driver}`;
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new RootError(file, `invalid JSON: ${(e as Error).message}`);
  }
  const repos = (doc as { Repositories?: unknown } | null)?.Repositories;
  const tags: LegacyTags = new Map();
  if (repos === undefined || repos === null) return tags;
  if (typeof repos !== 'object' || Array.isArray(repos)) throw new RootError(file, '"Repositories" is not an object');
  for (const [name, refs] of Object.entries(repos as Record<string, unknown>)) {
    if (typeof refs !== 'object' || refs === null || Array.isArray(refs)) throw new RootError(file, `repository ${JSON.stringify(name)} is not an object`);
    const m = new Map<string, string>();
    for (const [k, v] of Object.entries(refs as Record<string, unknown>)) {
      if (typeof v !== 'string') throw new RootError(file, `${name}:${k} does not map to a string`);
      m.set(k, v);
    }
    tags.set(name, m);
  }
  return tags;
}
