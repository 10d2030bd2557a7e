// Go time.Time JSON round trip (UnmarshalJSON then MarshalJSON), formats.md §3.4.3.
// Only the text changes: the wall clock and offset are kept, fractional zeros are trimmed and a
// zero offset becomes "Z". No calendar arithmetic is needed, so no Date objects are involved.

export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Re-serialise an RFC 3339 timestamp the way Go's time.Time would. Throws on what Go rejects. */
export function goTimeReformat(text: string): string {
  const m = RFC3339.exec(text);
  if (!m) throw new Error(`parsing time "${text}" as RFC 3339 failed`);
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[];
  const year = Number(y), month = Number(mo), day = Number(d);
  if (month < 1 || month > 12) throw new Error(`parsing time "${text}": month out of range`);
  if (day < 1 || day > daysIn(year, month)) throw new Error(`parsing time "${text}": day out of range`);
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw new Error(`parsing time "${text}": out of range`);
  let fraction = '';
  if (frac) {
    const digits = frac.slice(1, 10).replace(/0+$/, '');
    if (digits) fraction = '.' + digits;
  }
  let z = zone!;
  if (z !== 'Z') {
    const zh = Number(z.slice(1, 3)), zm = Number(z.slice(4, 6));
    if (zh > 24 || zm > 59) throw new Error(`parsing time "${text}": time zone offset out of range`);
    if (zh === 0 && zm === 0) z = 'Z';
  }
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}${z}`;
}
