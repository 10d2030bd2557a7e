// repositories-<driver> → repositories.json references (formats.md §3.10, §4.5). discover has
// already refused (or, with --allow-tag-loss, dropped by name) every tag that could not be kept.
import type { ImageID } from '../lib/digest/digest.js';
import type { LegacyTags } from '../discover/records.js';
import { familiarName, referenceOf } from '../discover/references.js';

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
    for (const [key, v1Id] of [...tags.get(name)!].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const shown = `${name}:${key}`;
      const imageId = mapping.get(v1Id);
      const ref = referenceOf(name, key);
      if (!imageId) {
        skipped.push({ ref: shown, reason: `points at ${v1Id}, which is not a migrated image` });
        continue;
      }
      if (typeof ref !== 'string') {
        skipped.push({ ref: shown, reason: ref.error });
        continue;
      }
      const familiar = familiarName(name) as string;
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
