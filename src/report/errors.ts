// One line per failure, naming the layer and file when known.
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, CONTAINERS_SKIPPED: 3, WOULD_WARN: 4 } as const;

export function failureLine(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const msg = err?.message ?? String(e);
  return msg.split('\n')[0]!;
}
