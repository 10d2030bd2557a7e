// One line per failure, naming the layer and file when known.
// LEFT_OUT: migrated, but something the report names was not: skipped containers, or tags
// dropped under --allow-tag-loss.
// PROVISIONAL: a pass ran while a legacy daemon used the root; run again after it stops.
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, LEFT_OUT: 3, WOULD_WARN: 4, PROVISIONAL: 5 } as const;

export function failureLine(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const msg = err?.message ?? String(e);
  return msg.split('\n')[0]!;
}
