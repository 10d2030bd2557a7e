// Docker's lenient version compare (pkg/version): components split on ".", compared as
// integers, anything that is not a plain integer counts as 0 (so "1.8.3-rc1" < "1.8.3").

function component(s: string | undefined): number {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return 0;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : 0;
}

export function compareVersions(a: string, b: string): number {
  const x = a.split('.'), y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = component(x[i]), q = component(y[i]);
    if (p !== q) return p > q ? 1 : -1;
  }
  return 0;
}

export function versionLess(a: string, b: string): boolean {
  return compareVersions(a, b) < 0;
}
