/**
 * im2col and its adjoint col2im as wasm kernels, one image per task (images write disjoint parts
 * of col, and of gx for col2im, so tasks can run on any thread):
 *
 *   im2colTask(task, scratch, x, xImage, col, ldcol, c, h, w, kh, kw, ho, wo, sh, sw, pt, pl, dh, dw)
 *     col[(ic*kh + ky)*kw + kx][task*ho*wo + oy*wo + ox] = x[task][ic][iy][ix], 0 in the padding,
 *     with iy = oy*sh - pt + ky*dh, ix = ox*sw - pl + kx*dw (addresses and strides in bytes)
 *   col2imTask(...same...)   x[task][ic][iy][ix] += col[...] over every in-bounds tap
 *
 * For one tap (kx) the in-bounds columns are one range lo <= ox < hi, computed once per tap, so a
 * row is: zeros, a branch-free run, zeros. The run moves 4 outputs a step as SIMD for stride 1 (a
 * plain vector copy / add) and stride 2 (two vectors of x, even lanes picked by a shuffle; col2im
 * spreads 4 values onto the even lanes and adds); a 2-vector step only while its 8 inputs lie in
 * the row, so no read leaves the tensor. Other strides, and run tails, go one element at a time.
 * `scratch` is unused (the thread pool's calling convention).
 */
import { Fn, ModuleBuilder, OP, SIMD } from './emit';

const EVEN_LANES = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
/** [c0, 0, c1, 0] and [c2, 0, c3, 0] of c (first operand) and a zero vector (second). */
const SPREAD_LOW = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 16, 17, 18, 19];
const SPREAD_HIGH = [8, 9, 10, 11, 16, 17, 18, 19, 12, 13, 14, 15, 16, 17, 18, 19];

function emit(name: string, adjoint: boolean): Fn {
  const f = new Fn(name, Array(19).fill('i32'));
  const [task, , x, xImage, col, ldcol, c, h, w, kh, kw, ho, wo, sh, sw, pt, pl, dh, dw] = Array.from({ length: 19 }, (_, i) => i);
  const [ic, ky, kx, oy, ox, iy, shift, lo, hi, plane, rowPtr, dst, src, rowEnd] = Array.from({ length: 14 }, () => f.local('i32'));
  const [v, zero] = [f.local('v128'), f.local('v128')];
  f.i32(0).simd(SIMD.i32x4Splat).set(zero);
  const zeros = (from: () => void, to: () => void) => {
    f.for(ox, from, to, 1, () => f.get(dst).get(ox).i32(2).op(OP.i32Shl, OP.i32Add).f32(0).mem(OP.f32Store, 2));
  };
  /** One element of the run: dst[ox] = *src (or *src += dst[ox]), src advancing by the stride. */
  const scalarStep = () => {
    if (adjoint) f.get(src).get(src).mem(OP.f32Load, 2).get(dst).get(ox).i32(2).op(OP.i32Shl, OP.i32Add).mem(OP.f32Load, 2).op(OP.f32Add).mem(OP.f32Store, 2);
    else f.get(dst).get(ox).i32(2).op(OP.i32Shl, OP.i32Add).get(src).mem(OP.f32Load, 2).mem(OP.f32Store, 2);
    f.inc(src, () => f.get(sw).i32(2).op(OP.i32Shl));
    f.inc(ox, 1);
  };
  /** While 4 more outputs are in the run (and `fits`), one vector step; then the scalar tail. */
  const run = (fits: (() => void) | null, step: () => void) => {
    f.op(OP.block, 0x40, OP.loop, 0x40);
    f.get(ox).i32(4).op(OP.i32Add).get(hi).op(OP.i32GtS, OP.brIf, 1);
    if (fits) {
      fits();
      f.op(OP.i32Eqz, OP.brIf, 1);
    }
    step();
    f.inc(ox, 4).op(OP.br, 0, OP.end, OP.end);
  };
  const out = () => f.get(dst).get(ox).i32(2).op(OP.i32Shl, OP.i32Add);
  const contiguous = () => run(null, () => {
    if (adjoint) f.get(src).get(src).vmem(SIMD.load, 0).get(dst).get(ox).i32(2).op(OP.i32Shl, OP.i32Add).vmem(SIMD.load, 0).simd(SIMD.f32x4Add).vmem(SIMD.store, 0);
    else { out(); f.get(src).vmem(SIMD.load, 0).vmem(SIMD.store, 0); }
    f.inc(src, 16);
  });
  const strideTwo = () => run(() => f.get(src).i32(32).op(OP.i32Add).get(rowEnd).op(OP.i32LeU), () => {
    if (adjoint) {
      out();
      f.vmem(SIMD.load, 0).set(v);
      f.get(src).get(src).vmem(SIMD.load, 0).get(v).get(zero).simd(SIMD.i8x16Shuffle, ...SPREAD_LOW).simd(SIMD.f32x4Add).vmem(SIMD.store, 0);
      f.get(src).get(src).vmem(SIMD.load, 0, 16).get(v).get(zero).simd(SIMD.i8x16Shuffle, ...SPREAD_HIGH).simd(SIMD.f32x4Add).vmem(SIMD.store, 0, 16);
    } else {
      out();
      f.get(src).vmem(SIMD.load, 0).get(src).vmem(SIMD.load, 0, 16).simd(SIMD.i8x16Shuffle, ...EVEN_LANES).vmem(SIMD.store, 0);
    }
    f.inc(src, 32);
  });
  f.get(x).get(task).get(xImage).op(OP.i32Mul, OP.i32Add).set(plane);
  f.get(col).get(task).get(ho).op(OP.i32Mul).get(wo).op(OP.i32Mul).i32(2).op(OP.i32Shl, OP.i32Add).set(rowPtr);
  f.for(ic, () => f.i32(0), () => f.get(c), 1, () => {
    f.for(ky, () => f.i32(0), () => f.get(kh), 1, () => {
      f.for(kx, () => f.i32(0), () => f.get(kw), 1, () => {
        // ix = ox*sw - shift: in bounds for lo <= ox < hi, lo = ceil(shift / sw), hi = ceil((w + shift) / sw).
        f.get(pl).get(kx).get(dw).op(OP.i32Mul, OP.i32Sub).set(shift);
        f.get(shift).get(sw).op(OP.i32Add).i32(1).op(OP.i32Sub).get(sw).op(OP.i32DivS).i32(0).get(shift).i32(0).op(OP.i32GtS, OP.select).set(lo);
        f.get(w).get(shift).op(OP.i32Add).get(sw).op(OP.i32Add).i32(1).op(OP.i32Sub).get(sw).op(OP.i32DivS).i32(0);
        f.get(w).get(shift).op(OP.i32Add).i32(0).op(OP.i32GtS, OP.select).set(hi);
        f.get(hi).get(wo).get(hi).get(wo).op(OP.i32LtS, OP.select).set(hi);
        f.get(lo).get(hi).get(lo).get(hi).op(OP.i32LtS, OP.select).set(lo);
        f.get(rowPtr).set(dst);
        f.for(oy, () => f.i32(0), () => f.get(ho), 1, () => {
          f.get(oy).get(sh).op(OP.i32Mul).get(pt).op(OP.i32Sub).get(ky).get(dh).op(OP.i32Mul, OP.i32Add).set(iy);
          f.if(() => f.get(iy).get(h).op(OP.i32LtU), () => {
            f.get(plane).get(iy).get(w).op(OP.i32Mul).get(lo).get(sw).op(OP.i32Mul).op(OP.i32Add).get(shift).op(OP.i32Sub).i32(2).op(OP.i32Shl, OP.i32Add).set(src);
            f.get(plane).get(iy).i32(1).op(OP.i32Add).get(w).op(OP.i32Mul).i32(2).op(OP.i32Shl, OP.i32Add).set(rowEnd);
            if (!adjoint) zeros(() => f.i32(0), () => f.get(lo));
            f.get(lo).set(ox);
            f.if(() => f.get(sw).i32(1).op(OP.i32Eq), contiguous, () => f.if(() => f.get(sw).i32(2).op(OP.i32Eq), strideTwo));
            f.for(ox, () => f.get(ox), () => f.get(hi), 0, scalarStep);
            if (!adjoint) zeros(() => f.get(hi), () => f.get(wo));
          }, adjoint ? undefined : () => zeros(() => f.i32(0), () => f.get(wo)));
          f.inc(dst, () => f.get(wo).i32(2).op(OP.i32Shl));
        });
        f.inc(rowPtr, () => f.get(ldcol));
      });
    });
    f.inc(plane, () => f.get(h).get(w).op(OP.i32Mul).i32(2).op(OP.i32Shl));
  });
  return f;
}

export function addIm2col(mod: ModuleBuilder): void {
  mod.add(emit('im2colTask', false));
  mod.add(emit('col2imTask', true));
}
