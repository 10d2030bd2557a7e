// Content digests as Docker spells them: "sha256:" + 64 lower-case hex digits.
import { createHash } from 'node:crypto';
import ssri from 'ssri';

// Two brand keys: one says "validated digest", the other which kind. Reusing one key for both
// would make DiffID & Digest an impossible intersection (never).
declare const digestBrand: unique symbol;
declare const kindBrand: unique symbol;

export type Digest = string & { readonly [digestBrand]: true };
export type DiffID = Digest & { readonly [kindBrand]: 'DiffID' };
export type ChainID = Digest & { readonly [kindBrand]: 'ChainID' };
export type ImageID = Digest & { readonly [kindBrand]: 'ImageID' };

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

export function parseDigest(s: string, what = 'digest'): Digest {
  if (!isDigest(s)) throw new Error(`invalid ${what} ${JSON.stringify(s)}`);
  return s;
}

export function hexOf(d: Digest): string {
  return d.slice('sha256:'.length);
}

export function sha256Digest(data: Buffer | string): Digest {
  return ('sha256:' + createHash('sha256').update(data).digest('hex')) as Digest;
}

/** SHA-256 of 1024 zero bytes: the DiffID of an empty layer tar (formats.md §3.1). */
export const EMPTY_TAR_DIFFID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef' as DiffID;

/** ChainID(d1..dn) per formats.md §3.6. */
export function chainIdOf(diffIds: readonly DiffID[]): ChainID | undefined {
  let chain: string | undefined;
  for (const d of diffIds) chain = chain === undefined ? d : sha256Digest(`${chain} ${d}`);
  return chain as ChainID | undefined;
}

export function chainIdExtend(parent: ChainID | undefined, diffId: DiffID): ChainID {
  return (parent === undefined ? diffId : sha256Digest(`${parent} ${diffId}`)) as ChainID;
}

/** Check bytes against a digest we already know (uses ssri's SRI verification). */
export function verifyDigest(data: Buffer, d: Digest): boolean {
  const b64 = Buffer.from(hexOf(d), 'hex').toString('base64');
  return ssri.checkData(data, `sha256-${b64}`) !== false;
}
