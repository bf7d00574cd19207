/**
 * docs/samples/tasks.png: the synthetic translation tasks (models/tasks) on the first embedded
 * MNIST digits, seed 0. Each pair of rows is one task: its two sides (source over target, domain
 * a over domain b, the attribute domains and the captioned drawings over the plain digits, the
 * label map over the digit). docs/samples/layouts.png: the layouts task's 48 px canvases, each
 * object's box outlined in grey.
 *   node --import tsx --import ./scripts/wgsl-register.mjs scripts/task-grids.ts [out.png] [layouts.png]
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
  if (r.boxes) continue;
  if (r.source) rows.push(first(r.source), first(r.target!));
  else if (r.a) rows.push(first(r.a), first(r.b!));
  else if (r.labelMap) rows.push(first(T.div(T.sum(T.mul(r.labelMap, T.reshape(T.tensor([0, 1, 0.5]), [1, 3, 1, 1])), 1, true), 1)), first(r.images!));
  else rows.push(first(r.images!), first(images));
}
const out = process.argv[2] ?? 'docs/samples/tasks.png';
await saveImageGrid(out, T.cat(rows, 0), { range: [0, 1], nrow: COLUMNS });
console.log(`wrote ${out}: ${TASK_NAMES.filter((t) => t !== 'layouts').join(', ')}, two rows each`);

/** Canvases [N, 1, S, S] with each box (x1, y1, x2, y2 in canvas fractions) outlined at grey 0.5. */
function outlined(canvases: T.Tensor, boxes: T.Tensor): T.Tensor {
  const [n, , side] = canvases.shape as [number, number, number];
  const pixels = canvases.dataSync().slice();
  const b = boxes.dataSync();
  const objects = boxes.shape[1]!;
  for (let i = 0; i < n * objects; i++) {
    const [x1, y1, x2, y2] = Array.from(b.slice(4 * i, 4 * i + 4), (v) => Math.round(v * side));
    const base = Math.floor(i / objects) * side * side;
    for (let c = x1!; c < x2!; c++) pixels[base + y1! * side + c] = pixels[base + (y2! - 1) * side + c] = Math.max(0.5, pixels[base + y1! * side + c]!);
    for (let r = y1!; r < y2!; r++) pixels[base + r * side + x1!] = pixels[base + r * side + x2! - 1] = Math.max(0.5, pixels[base + r * side + x1!]!);
  }
  return T.tensor(pixels, { shape: canvases.shape });
}
const layouts = makeTaskBatch('layouts', images, 0, labels);
const layoutsOut = process.argv[3] ?? 'docs/samples/layouts.png';
await saveImageGrid(layoutsOut, T.cat([first(layouts.images!), first(outlined(layouts.images!, layouts.boxes!))], 0), { range: [0, 1], nrow: COLUMNS });
console.log(`wrote ${layoutsOut}: layouts, the canvases over their outlined boxes`);
