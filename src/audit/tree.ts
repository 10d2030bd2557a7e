// The layer-sharing tree as text (like the old `docker images --tree`) and as Graphviz DOT.
import type { Plan } from '../plan/plan.js';
import { humanBytes } from '../report/text.js';

function children(plan: Plan): Map<string | undefined, string[]> {
  const out = new Map<string | undefined, string[]>();
  for (const l of plan.order) out.set(l.parent, [...(out.get(l.parent) ?? []), l.v1Id]);
  return out;
}

export function renderTree(plan: Plan, sizes: Map<string, number>, tags: Map<string, string[]>): string {
  const kids = children(plan);
  const lines: string[] = [];
  const visit = (id: string, prefix: string, last: boolean) => {
    const t = tags.get(id);
    lines.push(`${prefix}${last ? '└─' : '├─'}${id.slice(0, 12)} ${humanBytes(sizes.get(id) ?? 0)}${t ? `  ${t.join(', ')}` : ''}`);
    const c = kids.get(id) ?? [];
    c.forEach((k, i) => visit(k, prefix + (last ? '  ' : '│ '), i === c.length - 1));
  };
  const roots = kids.get(undefined) ?? [];
  roots.forEach((r, i) => visit(r, '', i === roots.length - 1));
  return lines.join('\n');
}

const q = (s: string) => `"${s.replace(/["\\]/g, (c) => '\\' + c)}"`;

/** One node per layer (v1 id, size) and per image (its tags), edges parent → child → image. */
export function toDot(plan: Plan, sizes: Map<string, number>, images: Array<{ v1Id: string; tags: string[]; size: number }>): string {
  const out = ['digraph sharing {', '  rankdir=TB;', '  node [fontname="monospace", fontsize=10];'];
  for (const l of plan.order) {
    out.push(`  ${q('L' + l.v1Id)} [shape=box, label=${q(`${l.v1Id.slice(0, 12)}\n${humanBytes(sizes.get(l.v1Id) ?? 0)}`)}];`);
    if (l.parent) out.push(`  ${q('L' + l.parent)} -> ${q('L' + l.v1Id)};`);
  }
  for (const i of images) {
    out.push(`  ${q('I' + i.v1Id)} [shape=ellipse, style=filled, fillcolor="#dde8ff", label=${q(`${i.tags.join('\n') || '<none>'}\n${humanBytes(i.size)}`)}];`);
    out.push(`  ${q('L' + i.v1Id)} -> ${q('I' + i.v1Id)} [style=dashed];`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}
