// Plain records that discover hands to the later stages.
import type { Digest } from '../lib/digest/digest.js';
import type { LegacyContainer, LinkGraph } from './containers.js';

/** A v1 id: 64 lower-case hex digits (formats.md §1.4). */
export type V1Id = string & { readonly __v1: true };

export const V1_ID_RE = /^[a-f0-9]{64}$/;

export function isV1Id(s: string): s is V1Id {
  return V1_ID_RE.test(s);
}

export interface LegacyLayer {
  v1Id: V1Id;
  /** Resolved parent (formats.md §1.3), undefined for a base image. */
  parent?: V1Id;
  /** The file the parent was read from (graph/<id>/parent overrides the JSON). */
  parentFile?: string;
  /** Raw bytes of graph/<id>/json: Docker hashes bytes, so they are kept as read. */
  json: Buffer;
  /** graph/<id>/tar-data.json.gz, when present. */
  tarData?: string;
  /** Raw content of graph/<id>/checksum when it is a valid digest (§3.8). */
  checksum?: Digest;
  /** graph/<id>/layersize (a scheduling hint only). */
  layerSize?: number;
}

/** name → (tag or digest key → v1 id), as in repositories-<driver>. */
export type LegacyTags = Map<string, Map<string, string>>;

/** Something found in a root, with its severity and the layer and file it concerns. */
export interface Finding {
  /** info: worth knowing; warning: the migration would work around it; error: it would stop. */
  severity: 'info' | 'warning' | 'error';
  message: string;
  v1Id?: string;
  file?: string;
}

export interface LegacyRoot {
  root: string;
  driver: string;
  /** Readable layers; a layer with an error finding is in `broken` instead. */
  layers: Map<V1Id, LegacyLayer>;
  broken: Set<string>;
  /** Problems found while reading: errors stop a migration, the audit lists them all. */
  findings: Finding[];
  /** The tags that will be migrated (readTags has refused or dropped the rest). */
  tags: LegacyTags;
  /** The repositories-<driver> file they were read from. */
  tagsFile?: string;
  /** Tags dropped by name under --allow-tag-loss (each also a warning finding). */
  droppedTags: Array<{ ref: string; reason: string }>;
  containers: LegacyContainer[];
  linkGraph?: LinkGraph;
}

export function errorFinding(e: RootError): Finding {
  return { severity: 'error', message: e.reason, file: e.file, v1Id: e.v1Id };
}

/** A problem that stops the migration, naming the layer and the file. */
export class RootError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly v1Id?: string,
  ) {
    super(`${v1Id ? `layer ${v1Id}: ` : ''}${file}: ${reason}`);
  }
}
