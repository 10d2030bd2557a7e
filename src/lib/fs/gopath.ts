// Go's path.Clean on byte strings. Names are carried as latin1 JS strings so that every byte
// (including invalid UTF-8) survives unchanged and can be turned back into a Buffer path.

export function goClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const parts: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length && parts[parts.length - 1] !== '..') parts.pop();
      else if (!rooted) parts.push('..');
      continue;
    }
    parts.push(c);
  }
  const joined = parts.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

/** The relative path a tar-split name resolves to under a root, or undefined if it climbs out. */
export function relativeInRoot(name: string): string | undefined {
  // filepath.Join(root, name) cleans root + "/" + name: a leading "/" stays inside the root,
  // a leading ".." climbs out of it.
  const c = goClean(name);
  const rel = c.replace(/^\/+/, '');
  if (rel === '..' || rel.startsWith('../')) return undefined;
  return rel === '' ? '.' : rel;
}

export const latin1 = (b: Buffer): string => b.toString('latin1');
export const bytesOf = (s: string): Buffer => Buffer.from(s, 'latin1');
