// plan: the order Docker 1.10 migrated images in (formats.md §3.1): graph ids in byte order,
// each one's parents first. Missing parents and cycles stop the migration.
import { RootError, type LegacyLayer, type LegacyRoot, type V1Id } from '../discover/records.js';

export interface Plan {
  /** Every v1 layer, parents before children, in Docker 1.10's migration order. */
  order: LegacyLayer[];
  /** v1 id → its ancestry, base first, including itself. */
  chains: Map<V1Id, V1Id[]>;
}

export function plan(legacy: LegacyRoot): Plan {
  const order: LegacyLayer[] = [];
  const chains = new Map<V1Id, V1Id[]>();
  const visiting = new Set<V1Id>();
  const graphDir = `${legacy.root}/graph`;

  const visit = (id: V1Id, child?: V1Id): V1Id[] => {
    const done = chains.get(id);
    if (done) return done;
    const layer = legacy.layers.get(id);
    const childFile = child ? legacy.layers.get(child)?.parentFile ?? `${graphDir}/${child}/json` : '';
    if (!layer) throw new RootError(childFile, `parent ${id} does not exist in graph/`, child);
    if (visiting.has(id)) throw new RootError(childFile, `parent chain contains a cycle through ${id}`, child);
    visiting.add(id);
    const chain = layer.parent ? [...visit(layer.parent, id), id] : [id];
    visiting.delete(id);
    chains.set(id, chain);
    order.push(layer);
    return chain;
  };
  for (const id of [...legacy.layers.keys()].sort()) visit(id);
  return { order, chains };
}
