// `node heap-diff.mjs a.heapsnapshot b.heapsnapshot [count]`: what b holds more than a, per
// object type, divided by `count` (the connections of heap-probe.mjs, 2,000 by default).
import { readFileSync } from 'node:fs';

function sizesByType(path) {
  const snapshot = JSON.parse(readFileSync(path, 'utf8'));
  const fields = snapshot.snapshot.meta.node_fields;
  const typeNames = snapshot.snapshot.meta.node_types[0];
  const [type, name, size] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const totals = new Map();
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const kind = typeNames[snapshot.nodes[i + type]];
    const label = kind.includes('string') ? '(string)' : snapshot.strings[snapshot.nodes[i + name]];
    const key = `${kind}: ${label.slice(0, 60)}`;
    const total = totals.get(key) ?? { count: 0, bytes: 0 };
    total.count += 1;
    total.bytes += snapshot.nodes[i + size];
    totals.set(key, total);
  }
  return totals;
}

const [pathA, pathB, countArg = '2000'] = process.argv.slice(2);
if (!pathA || !pathB)
  throw new Error('usage: node heap-diff.mjs a.heapsnapshot b.heapsnapshot [count]');
const count = Number(countArg);
const [a, b] = [sizesByType(pathA), sizesByType(pathB)];
const rows = [...b].map(([key, total]) => {
  const base = a.get(key) ?? { count: 0, bytes: 0 };
  return {
    key,
    objects: (total.count - base.count) / count,
    bytes: (total.bytes - base.bytes) / count,
  };
});
rows.sort((x, y) => y.bytes - x.bytes);
console.log('bytes/conn  objects/conn  type: name');
for (const row of rows.slice(0, 30)) {
  console.log(
    `${row.bytes.toFixed(0).padStart(10)}  ${row.objects.toFixed(2).padStart(12)}  ${row.key}`,
  );
}
