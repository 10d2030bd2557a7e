// repositories-<driver> → repositories.json references (formats.md §3.10, §4.5).
import { isDigest, type ImageID } from '../lib/digest/digest.js';
import type { LegacyTags } from '../discover/records.js';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*';
const PATH_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const HOST_RE = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const HEX64 = /^[a-f0-9]{64}$/;

/** The familiar repository name Docker stores, or an error text. */
export function familiarName(name: string): string | { error: string } {
  let host = 'docker.io', remote = name;
  const slash = name.indexOf('/');
  if (slash >= 0) {
    const first = name.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      host = first === 'index.docker.io' ? 'docker.io' : first;
      remote = name.slice(slash + 1);
    }
  }
  if (host === 'docker.io' && !remote.includes('/')) remote = 'library/' + remote;
  if (!HOST_RE.test(host)) return { error: `invalid registry host ${JSON.stringify(host)}` };
  if (!PATH_RE.test(remote)) return { error: `invalid repository name ${JSON.stringify(name)}` };
  if (host === 'docker.io' && remote.startsWith('library/') && HEX64.test(remote.slice(8))) return { error: 'repository name cannot be a 64-hex id' };
  const full = `${host}/${remote}`;
  if (full.length > 255) return { error: 'repository name longer than 255 characters' };
  if (host !== 'docker.io') return full;
  return remote.startsWith('library/') && !remote.slice(8).includes('/') ? remote.slice(8) : remote;
}

export interface RefsResult {
  repositories: Map<string, Map<string, ImageID>>;
  skipped: Array<{ ref: string; reason: string }>;
  count: number;
}

/** Map legacy tags to image ids. Names are processed in sorted order; the first entry wins. */
export function migrateRefs(tags: LegacyTags, mapping: Map<string, ImageID>): RefsResult {
  const repositories = new Map<string, Map<string, ImageID>>();
  const skipped: RefsResult['skipped'] = [];
  let count = 0;
  for (const name of [...tags.keys()].sort()) {
    const familiar = familiarName(name);
    for (const [key, v1Id] of [...tags.get(name)!].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const shown = `${name}:${key}`;
      const imageId = mapping.get(v1Id);
      if (!imageId) {
        skipped.push({ ref: shown, reason: `points at ${v1Id}, which is not a migrated image` });
        continue;
      }
      if (typeof familiar !== 'string') {
        skipped.push({ ref: shown, reason: familiar.error });
        continue;
      }
      let ref: string;
      if (isDigest(key)) ref = `${familiar}@${key}`;
      else if (TAG_RE.test(key)) ref = `${familiar}:${key}`;
      else {
        skipped.push({ ref: shown, reason: `invalid tag ${JSON.stringify(key)}` });
        continue;
      }
      const repo = repositories.get(familiar) ?? new Map<string, ImageID>();
      repositories.set(familiar, repo);
      const existing = repo.get(ref);
      if (existing && existing !== imageId) {
        skipped.push({ ref: shown, reason: `${ref} is already taken by ${existing}` });
        continue;
      }
      if (!existing) count++;
      repo.set(ref, imageId);
    }
  }
  return { repositories, skipped, count };
}
