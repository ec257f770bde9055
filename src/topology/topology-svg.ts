import type { Topology } from './topology.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const NODE_W = 260;
const NODE_H = 34;
const ROW = 58;
const COL = 330;
const TOP = 70;

interface Box {
  readonly x: number;
  readonly y: number;
  readonly label: string;
  readonly kind: 'source' | 'processor' | 'sink' | 'topic' | 'store';
}

/**
 * Draws a topology as SVG with no dependencies: one column per sub-topology
 * (global stores last), its nodes top to bottom in insertion order, input and
 * output topics as rounded boxes beside them, stores as cylinders, arrows for
 * the record flow and dashed lines to stores.
 */
export function topologyToSvg(topology: Topology, title = 'topology'): string {
  const boxes = new Map<string, Box>();
  const edges: { from: string; to: string; dashed: boolean }[] = [];
  let height = 0;
  const subs = topology.subTopologies();
  subs.forEach((sub, col) => {
    const x = 40 + col * COL;
    let row = 0;
    const place = (id: string, label: string, kind: Box['kind']) => {
      if (boxes.has(id)) return;
      boxes.set(id, { x, y: TOP + row * ROW, label, kind });
      row++;
    };
    for (const n of sub.nodes) {
      if (n.kind === 'source') {
        for (const t of n.topics) {
          place(`topic:${t}`, t, 'topic');
          edges.push({ from: `topic:${t}`, to: n.name, dashed: false });
        }
      }
      place(n.name, n.name, n.kind);
      if (n.kind !== 'source') for (const p of n.parents) edges.push({ from: p, to: n.name, dashed: false });
      if (n.kind === 'processor') {
        for (const s of n.stores) {
          place(`store:${s}`, s, 'store');
          edges.push({ from: n.name, to: `store:${s}`, dashed: true });
        }
      }
      if (n.kind === 'sink' && typeof n.topic === 'string') {
        place(`topic:${n.topic}`, n.topic, 'topic');
        edges.push({ from: n.name, to: `topic:${n.topic}`, dashed: false });
      }
    }
    height = Math.max(height, TOP + row * ROW);
  });
  topology.globalStores().forEach((g, i) => {
    const x = 40 + (subs.length + i) * COL;
    const ids = [`topic:${g.topic}`, g.sourceName, g.processorName, `store:${g.store.name}`];
    const labels = [g.topic, g.sourceName, g.processorName, g.store.name];
    const kinds: Box['kind'][] = ['topic', 'source', 'processor', 'store'];
    ids.forEach((id, r) => {
      if (!boxes.has(id)) boxes.set(id, { x, y: TOP + r * ROW, label: labels[r] as string, kind: kinds[r] as Box['kind'] });
    });
    edges.push({ from: ids[0] as string, to: ids[1] as string, dashed: false }, { from: ids[1] as string, to: ids[2] as string, dashed: false }, { from: ids[2] as string, to: ids[3] as string, dashed: true });
    height = Math.max(height, TOP + 4 * ROW);
  });
  const columns = subs.length + topology.globalStores().length;
  const width = 80 + Math.max(1, columns) * COL - (COL - NODE_W);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 20}" viewBox="0 0 ${width} ${height + 20}" font-family="sans-serif" font-size="12">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
    `<text x="40" y="28" font-size="16" font-weight="bold">${esc(title)}</text>`,
  ];
  subs.forEach((sub, col) => out.push(`<text x="${40 + col * COL}" y="52" fill="#666">Sub-topology ${sub.id}</text>`));
  topology.globalStores().forEach((g, i) => out.push(`<text x="${40 + (subs.length + i) * COL}" y="52" fill="#666">Global store ${esc(g.store.name)}</text>`));
  for (const e of edges) {
    const a = boxes.get(e.from);
    const b = boxes.get(e.to);
    if (a === undefined || b === undefined) continue;
    const [x1, y1, x2, y2] = a.x === b.x ? [a.x + NODE_W / 2, a.y + NODE_H, b.x + NODE_W / 2, b.y] : [a.x + NODE_W, a.y + NODE_H / 2, b.x, b.y + NODE_H / 2];
    const down = a.x === b.x && b.y < a.y;
    out.push(
      `<path class="edge" d="M ${x1} ${down ? a.y : y1} C ${x1} ${(y1 + y2) / 2}, ${x2} ${(y1 + y2) / 2}, ${x2} ${down ? b.y + NODE_H : y2}" fill="none" stroke="#555"${e.dashed ? ' stroke-dasharray="4 3"' : ' marker-end="url(#arrow)"'}/>`,
    );
  }
  const style: Record<Box['kind'], string> = {
    source: 'fill="#e3f2fd" stroke="#1e88e5"',
    processor: 'fill="#f5f5f5" stroke="#616161"',
    sink: 'fill="#e8f5e9" stroke="#43a047"',
    topic: 'fill="#fff8e1" stroke="#f9a825" rx="16"',
    store: 'fill="#f3e5f5" stroke="#8e24aa" rx="10" ry="10"',
  };
  for (const b of boxes.values()) {
    const label = b.label.length > 38 ? `${b.label.slice(0, 36)}…` : b.label;
    out.push(`<g class="node ${b.kind}"><rect x="${b.x}" y="${b.y}" width="${NODE_W}" height="${NODE_H}" ${style[b.kind]}/><text x="${b.x + 10}" y="${b.y + 21}">${esc(label)}</text><title>${esc(b.label)}</title></g>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
