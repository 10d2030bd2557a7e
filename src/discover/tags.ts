// repositories-<driver> (formats.md §1.5), read so that no tag is lost in silence
// (docs/formats.md "Tags"): the file of the driver the layers are read from; when there is none,
// the root's only repositories file, with a warning naming both drivers. Every tag that cannot
// be carried over — another driver's file beside the right one, several files and none for this
// driver, an entry that does not parse, a v1 id with no layer, a name or tag Docker would
// refuse, two names that become one reference — is an error finding naming the file and the
// tags, so the migration stops and --dry-run says the same; with --allow-tag-loss it is a
// warning and the tags are dropped by name.
import { promises as fsp } from 'node:fs';
import { isV1Id, RootError, type Finding, type LegacyTags } from './records.js';
import { referenceOf } from './references.js';
import { isDigest } from '../lib/digest/digest.js';

export interface DroppedTag {
  ref: string;
  reason: string;
}

export interface TagsRead {
  tags: LegacyTags;
  /** The repositories file the tags were read from, when there was one. */
  file?: string;
  dropped: DroppedTag[];
}

const PREFIX = 'repositories-';

export async function readTags(root: string, driver: string, hasLayer: (v1Id: string) => boolean, allowLoss: boolean, findings: Finding[]): Promise<TagsRead> {
  const out: TagsRead = { tags: new Map(), dropped: [] };
  const severity = allowLoss ? 'warning' : 'error';
  const lose = (file: string, dropped: DroppedTag[], what: string) => {
    if (!dropped.length) return;
    out.dropped.push(...dropped);
    const list = dropped.map((d) => `${d.ref} (${d.reason})`).join('; ');
    findings.push({
      severity, file,
      message: allowLoss ? `${what}: ${dropped.length} tag(s) dropped (--allow-tag-loss): ${list}`
        : `${what}: ${dropped.length} tag(s) cannot be migrated: ${list}; fix the file, or pass --allow-tag-loss to migrate without them`,
    });
  };
  const files = (await fsp.readdir(root)).filter((n) => n.startsWith(PREFIX)).sort();
  const own = `${PREFIX}${driver}`;
  let chosen: string | undefined;
  if (files.includes(own)) {
    chosen = own;
    for (const other of files.filter((f) => f !== own)) {
      const parsed = await parseFile(`${root}/${other}`);
      const dropped = parsed.ok ? [...parsed.entries].map(([ref]) => ({ ref, reason: `in ${other}, not in ${own}` })) : [{ ref: other, reason: parsed.error }];
      lose(`${root}/${other}`, dropped, `the ${other.slice(PREFIX.length)} driver's tags are not used: the layers are read from ${driver}/, whose tags are in ${own}`);
    }
  } else if (files.length === 1) {
    chosen = files[0]!;
    findings.push({
      severity: 'warning', file: `${root}/${chosen}`,
      message: `its tags are used although it is the ${chosen.slice(PREFIX.length)} driver's file: the layers are read from ${driver}/ and there is no ${own}`,
    });
  } else if (files.length > 1) {
    for (const f of files) {
      const parsed = await parseFile(`${root}/${f}`);
      const dropped = parsed.ok ? [...parsed.entries].map(([ref]) => ({ ref, reason: `in ${f}` })) : [{ ref: f, reason: parsed.error }];
      lose(`${root}/${f}`, dropped, `several repositories files (${files.join(', ')}) and none for the ${driver} driver the layers are read from; cannot tell which holds this root's tags`);
    }
  }
  if (chosen === undefined) return out;
  const file = `${root}/${chosen}`;
  out.file = file;
  const parsed = await parseFile(file);
  if (!parsed.ok) throw new RootError(file, parsed.error);
  const dropped: DroppedTag[] = [...parsed.bad];
  const taken = new Map<string, string>(); // stored reference → the legacy tag that has it
  for (const [shown, { name, key, v1Id }] of parsed.entries) {
    const ref = referenceOf(name, key);
    if (typeof ref !== 'string') dropped.push({ ref: shown, reason: ref.error });
    else if (!isV1Id(v1Id)) dropped.push({ ref: shown, reason: `${JSON.stringify(v1Id)} is not a v1 id` });
    else if (!hasLayer(v1Id)) dropped.push({ ref: shown, reason: `names v1 id ${v1Id}, which has no layer in graph/` });
    else if (taken.has(ref) && parsedV1(parsed, taken.get(ref)!) !== v1Id) dropped.push({ ref: shown, reason: `${ref} is already taken by ${taken.get(ref)}` });
    else {
      if (!taken.has(ref)) taken.set(ref, shown);
      const m = out.tags.get(name) ?? new Map<string, string>();
      out.tags.set(name, m.set(key, v1Id));
    }
  }
  lose(file, dropped, `${chosen}`);
  return out;
}

const parsedV1 = (p: Parsed & { ok: true }, shown: string) => p.entries.get(shown)!.v1Id;

type Parsed =
  | { ok: true; entries: Map<string, { name: string; key: string; v1Id: string }>; bad: DroppedTag[] }
  | { ok: false; error: string };

/** Entries in Docker 1.10's order (names sorted, then keys), shown as "name:tag" or "name@digest". */
async function parseFile(file: string): Promise<Parsed> {
  let doc: unknown;
  try {
    doc = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw e;
    return { ok: false, error: `invalid JSON: ${(e as Error).message}` };
  }
  const repos = (doc as { Repositories?: unknown } | null)?.Repositories;
  const entries = new Map<string, { name: string; key: string; v1Id: string }>();
  const bad: DroppedTag[] = [];
  if (repos === undefined || repos === null) return { ok: true, entries, bad };
  if (typeof repos !== 'object' || Array.isArray(repos)) return { ok: false, error: '"Repositories" is not an object' };
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  for (const name of Object.keys(repos).sort(byName)) {
    const refs = (repos as Record<string, unknown>)[name];
    if (typeof refs !== 'object' || refs === null || Array.isArray(refs)) {
      bad.push({ ref: name, reason: 'the repository entry is not an object of tags' });
      continue;
    }
    for (const key of Object.keys(refs).sort(byName)) {
      const v = (refs as Record<string, unknown>)[key];
      const shown = isDigest(key) ? `${name}@${key}` : `${name}:${key}`;
      if (typeof v === 'string') entries.set(shown, { name, key, v1Id: v });
      else bad.push({ ref: shown, reason: 'does not map to a v1 id string' });
    }
  }
  return { ok: true, entries, bad };
}
