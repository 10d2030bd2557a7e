// --graph FILE: the sharing graph as Graphviz DOT, or rendered to SVG by Graphviz's dot.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

export function writeGraph(file: string, dot: string): void {
  if (file.endsWith('.dot') || file.endsWith('.gv')) {
    writeFileSync(file, dot);
    return;
  }
  if (!file.endsWith('.svg')) throw new Error(`--graph ${file}: use a .dot or .svg file name`);
  try {
    execFileSync('dot', ['-Tsvg', '-o', file], { input: dot, stdio: ['pipe', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(err.code === 'ENOENT' ? `--graph ${file}: rendering SVG needs Graphviz (the dot command); install it, or ask for a .dot file` : `dot failed: ${err.message}`);
  }
}
