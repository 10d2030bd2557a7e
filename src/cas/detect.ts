// Which medium a root is: a CAS-era store with data under image/<driver>/, or (undefined) a
// pre-1.10 graph/ for src/discover/ to read.
import { RootError } from '../discover/records.js';
import { KNOWN_DRIVERS } from '../legacy-drivers/index.js';
import { hasCasData } from './store.js';

/** Drivers whose CAS-era stores current dockerd cannot read any more (Engine 24 removed aufs and overlay; vfs is read by any dockerd but migrated on request). */
const CAS_DRIVERS = ['aufs', 'overlay', 'vfs'];

/**
 * The driver of the root's CAS-era store, when it has one with data; undefined for a pre-1.10
 * root. A root with both a CAS store and graph/ is a host whose daemon migrated in place at 1.10
 * (or ran the v1.10-migrator and then 1.10+): from then on the daemon only wrote image/<driver>/,
 * so the store is what it last saw and graph/ is a frozen leftover (docs/formats.md).
 */
export async function casStoreOf(root: string, wanted?: string): Promise<string | undefined> {
  const found: string[] = [];
  for (const d of KNOWN_DRIVERS) if (await hasCasData(root, d)) found.push(d);
  if (wanted) return found.includes(wanted) ? wanted : undefined;
  if (found.length > 1) throw new RootError(`${root}/image`, `CAS stores of several drivers found (${found.map((d) => `image/${d}`).join(', ')}); choose one with --driver`);
  const d = found[0];
  if (d && !CAS_DRIVERS.includes(d))
    throw new RootError(`${root}/image/${d}`, `a CAS-era ${d} root is not supported: ${d === 'btrfs' ? 'current dockerd still runs the btrfs driver, so this root needs no migration' : `migrate with \`docker save\` / \`docker load\` (docs/drivers.md)`}`);
  return d;
}

