// plan: the order Docker 1.10 migrated images in (formats.md §3.1): graph ids in byte order,
// each one's parents first. Missing parents and cycles stop the migration.
import { RootError, type LegacyLayer, type LegacyRoot, type V1Id } from '../discover/records.js';

export interface Plan {
  /** Every migratable v1 layer, parents before children, in Docker 1.10's migration order. */
  order: LegacyLayer[];
  /** v1 id → its ancestry, base first, including itself. */
  chains: Map<V1Id, V1Id[]>;
  /** Layers left out because their own chain is broken: v1 id → the layer where it breaks. */
  excluded: Map<string, string>;
}

class Broken extends Error {
  constructor(readonly at: string) {
    super(at);
  }
}

/** Order the layers; missing parents and cycles become error findings on `legacy.findings`. */
export function plan(legacy: LegacyRoot): Plan {
  const order: LegacyLayer[] = [];
  const chains = new Map<V1Id, V1Id[]>();
  const excluded = new Map<string, string>();
  const visiting = new Set<V1Id>();
  const graphDir = `${legacy.root}/graph`;

  const visit = (id: V1Id, child?: V1Id): V1Id[] => {
    const done = chains.get(id);
    if (done) return done;
    if (excluded.has(id)) throw new Broken(excluded.get(id)!);
    if (legacy.broken.has(id)) throw new Broken(id); // its own error finding already says why
    const layer = legacy.layers.get(id);
    const childFile = child ? legacy.layers.get(child)?.parentFile ?? `${graphDir}/${child}/json` : '';
    const fail = (message: string): never => {
      legacy.findings.push({ severity: 'error', v1Id: child, file: childFile, message });
      throw new Broken(child!);
    };
    if (!layer) fail(`parent ${id} does not exist in graph/`);
    if (visiting.has(id)) fail(`parent chain contains a cycle through ${id}`);
    visiting.add(id);
    try {
      const chain = layer!.parent ? [...visit(layer!.parent, id), id] : [id];
      chains.set(id, chain);
      order.push(layer!);
      return chain;
    } catch (e) {
      if (e instanceof Broken) excluded.set(id, e.at);
      throw e;
    } finally {
      visiting.delete(id);
    }
  };
  for (const id of [...legacy.layers.keys()].sort()) {
    try {
      visit(id);
    } catch (e) {
      if (!(e instanceof Broken)) throw e;
    }
  }
  return { order, chains, excluded };
}

/** The first error finding as the error a migration stops with. */
export function firstError(legacy: LegacyRoot): RootError | undefined {
  const f = legacy.findings.find((x) => x.severity === 'error');
  return f ? new RootError(f.file ?? legacy.root, f.message, f.v1Id) : undefined;
}
