// The reference grammar Docker 1.10's migrateRefs applied to repositories-<driver> entries
// (distribution/reference, formats.md §3.10): which names and tags survive, and the familiar
// name they are stored under. Pure functions; discover uses them to refuse what would be lost,
// configs to spell what is kept.
import { isDigest } from '../lib/digest/digest.js';

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

/** The reference stored in repositories.json for a legacy name and tag (or digest) key, or an error text. */
export function referenceOf(name: string, key: string): string | { error: string } {
  const familiar = familiarName(name);
  if (typeof familiar !== 'string') return familiar;
  if (isDigest(key)) return `${familiar}@${key}`;
  if (TAG_RE.test(key)) return `${familiar}:${key}`;
  return { error: `invalid tag ${JSON.stringify(key)}` };
}
