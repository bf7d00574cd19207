/**
 * docs/samples/tasks.png: the synthetic translation tasks (models/tasks) on the first embedded
 * MNIST digits, seed 0. Each pair of rows is one task: its two sides (source over target, domain
 * a over domain b, the attribute domains and the captioned drawings over the plain digits, the
 * label map over the digit).
 *   node --import tsx --import ./scripts/wgsl-register.mjs scripts/task-grids.ts [out.png]
 */
import * as T from '../src/index.js';
import { loadEmbeddedMnist } from '../src/node.js';
import { saveImageGrid } from '../src/io/png.js';
import { TASK_NAMES, makeTaskBatch } from '../models/tasks/index.js';

const COLUMNS = 12;
const { images, labels } = loadEmbeddedMnist({ limit: 2 * COLUMNS });
const first = (t: T.Tensor) => T.slice(t, [{ stop: COLUMNS }]);
const rows: T.Tensor[] = [];
for (const name of TASK_NAMES) {
  const r = makeTaskBatch(name, images, 0, labels);
  if (r.source) rows.push(first(r.source), first(r.target!));
  else if (r.a) rows.push(first(r.a), first(r.b!));
  else if (r.labelMap) rows.push(first(T.div(T.sum(T.mul(r.labelMap, T.reshape(T.tensor([0, 1, 0.5]), [1, 3, 1, 1])), 1, true), 1)), first(r.images!));
  else rows.push(first(r.images!), first(images));
}
const out = process.argv[2] ?? 'docs/samples/tasks.png';
await saveImageGrid(out, T.cat(rows, 0), { range: [0, 1], nrow: COLUMNS });
console.log(`wrote ${out}: ${TASK_NAMES.join(', ')}, two rows each`);
