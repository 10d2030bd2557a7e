// What a migration reads from: one module per medium (graph.ts: a pre-1.10 graph/; cas.ts: a
// CAS-era image/<driver>/ store), each turning its root into the same overlay2 layout through
// the one writer in src/write/. pipeline.ts picks the medium, owns the journal, the staging dir
// and the commit; a source only reads the root and writes inside the staging dir.
import type { MigrateOptions } from '../pipeline.js';
import type { Finding, MigrationReport, ProgressEvent } from '../report/types.js';
import type { ContainerPlan } from '../write/containers.js';
import type { Staging } from '../write/staging.js';
import type { Prior, Recorded } from '../write/sync.js';

export interface SourceContext {
  root: string;
  target: string;
  opts: MigrateOptions;
  emit: (e: ProgressEvent) => void;
  warn: (f: Omit<Finding, 'severity'>) => void;
  findings: Finding[];
  /** performance.now() / 1000 when the run started. */
  t0: number;
  /** A sync: what the last pass wrote, to keep where its inputs are unchanged. */
  prior?: Prior;
  /** Per container id, the config files the last pass published, so that the originals are read instead of ours. */
  ours?: Map<string, { config?: Buffer; hostConfig?: Buffer }>;
  /** A legacy daemon is running on the root: running containers wait, and nothing it reads is written. */
  online?: boolean;
}

/** A pass built in the staging dir. */
export interface Built {
  report: MigrationReport;
  publish: ContainerPlan[];
  /** What the new layout holds, with stamps, for the next pass. */
  recorded: Recorded;
  /** overlay2 dirs kept from the last pass (not in staging). */
  kept: Set<string>;
  /** overlay2 dir → its parent dir (image layers and container layers). */
  parents: Map<string, string | undefined>;
}

/** A root read and found migratable; writing it is the second step. */
export interface OpenedSource {
  /** Build the whole layout inside the staging dir; the report and the containers to publish. */
  write(staging: Staging): Promise<Built>;
  /** After a failure: stop what runs in the background before the staging dir goes. */
  cancel(): Promise<void>;
}

export const now = () => performance.now() / 1000;
