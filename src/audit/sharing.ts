// Which images share which layers, and how much disk each image really owns — the numbers
// `docker system df -v` shows, computed from the legacy graph.
import type { LegacyRoot } from '../discover/records.js';
import type { Plan } from '../plan/plan.js';

export interface ImageShare {
  v1Id: string;
  tags: string[];
  layers: number;
  size: number;
  shared: number;
  unique: number;
  containers: number;
}

/** Tags by v1 id, as "name:tag" / "name@digest" spelled in repositories-<driver>. */
export function tagsByV1(legacy: LegacyRoot): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, refs] of legacy.tags)
    for (const [key, v1] of refs) out.set(v1, [...(out.get(v1) ?? []), key.includes(':') ? `${name}@${key}` : `${name}:${key}`]);
  for (const v of out.values()) v.sort();
  return out;
}

/**
 * The images an operator sees (`docker images`): tagged v1 images and the tops of untagged
 * (dangling) chains. A layer is shared when two or more of those images' chains contain it.
 */
export function imageShares(legacy: LegacyRoot, plan: Plan, sizes: Map<string, number>): ImageShare[] {
  const tags = tagsByV1(legacy);
  const hasChild = new Set(plan.order.map((l) => l.parent).filter((p): p is NonNullable<typeof p> => !!p));
  const tops = plan.order.filter((l) => tags.has(l.v1Id) || !hasChild.has(l.v1Id)).map((l) => l.v1Id);
  const users = new Map<string, number>();
  for (const t of tops) for (const id of plan.chains.get(t as never) ?? []) users.set(id, (users.get(id) ?? 0) + 1);
  const containers = new Map<string, number>();
  for (const c of legacy.containers) if (c.imageV1Id) containers.set(c.imageV1Id, (containers.get(c.imageV1Id) ?? 0) + 1);
  return tops.map((t) => {
    const chain = plan.chains.get(t as never)!;
    const size = chain.reduce((a, id) => a + (sizes.get(id) ?? 0), 0);
    const shared = chain.filter((id) => (users.get(id) ?? 0) > 1).reduce((a, id) => a + (sizes.get(id) ?? 0), 0);
    return { v1Id: t, tags: tags.get(t) ?? [], layers: chain.length, size, shared, unique: size - shared, containers: containers.get(t) ?? 0 };
  });
}
