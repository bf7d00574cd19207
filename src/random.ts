/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11).
 *
 * A counter-based generator: every output is a pure function of (key, counter), so the CPU and
 * the GPU produce the same stream without sharing state. The recipe both backends follow
 * (kernels/random.wgsl mirrors it bit for bit):
 *
 *   element i of generator call `stream` under seed key (k0, k1):
 *     (x0, x1, x2, x3) = philox4x32_10(counter = (i, stream, 0, 0), key = (k0, k1))
 *   uniform: u = (x0 >>> 8) * 2^-24                        in [0, 1), exact in float32
 *   normal:  u1 = ((x0 >>> 8) + 1) * 2^-24                 in (0, 1]
 *            u2 = (x1 >>> 8) * 2^-24
 *            z  = sqrt(-2 ln u1) * cos(2 pi u2)             (Box-Muller)
 */
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32 values. */
function mulhi32(a: number, b: number): number {
  const aLo = a & 0xffff, aHi = a >>> 16;
  const bLo = b & 0xffff, bHi = b >>> 16;
  const lolo = aLo * bLo;
  const mid1 = aHi * bLo + (lolo >>> 16);
  const mid2 = aLo * bHi + (mid1 & 0xffff);
  return (aHi * bHi + (mid1 >>> 16) + (mid2 >>> 16)) >>> 0;
}

/** Ten Philox rounds; writes the four output words into `out`. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): void {
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi32(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

const TWO_POW_M24 = 1 / 16777216;

/** Fill `out` with the stream described above (float64 arithmetic; float32 outputs round once). */
export function philoxFill(out: Float32Array | Float64Array, kind: 'uniform' | 'normal', key: readonly [number, number], stream: number): void {
  const words = new Uint32Array(4);
  for (let i = 0; i < out.length; i++) {
    philox4x32(i, stream >>> 0, 0, 0, key[0] >>> 0, key[1] >>> 0, words);
    if (kind === 'uniform') {
      out[i] = (words[0]! >>> 8) * TWO_POW_M24;
    } else {
      const u1 = ((words[0]! >>> 8) + 1) * TWO_POW_M24;
      const u2 = (words[1]! >>> 8) * TWO_POW_M24;
      out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
  }
}

/** Split a JS number seed into the two key words (non-negative integers up to 2^53). */
export function seedToKey(seed: number): [number, number] {
  const s = Math.floor(Math.abs(seed));
  return [s >>> 0, Math.floor(s / 4294967296) >>> 0];
}
