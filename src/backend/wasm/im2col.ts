/**
 * im2col and its adjoint col2im as wasm kernels, one image per task (images write disjoint parts
 * of col, and of gx for col2im, so tasks can run on any thread):
 *
 *   im2colTask(task, scratch, x, xImage, col, ldcol, c, h, w, kh, kw, ho, wo, sh, sw, pt, pl, dh, dw)
 *     col[(ic*kh + ky)*kw + kx][task*ho*wo + oy*wo + ox] = x[task][ic][iy][ix], 0 in the padding,
 *     with iy = oy*sh - pt + ky*dh, ix = ox*sw - pl + kx*dw (addresses and strides in bytes)
 *   col2imTask(...same...)   x[task][ic][iy][ix] += col[...] over every in-bounds tap
 *
 * One unsigned compare per coordinate tests both bounds. `scratch` is unused (the thread pool's
 * calling convention).
 */
import { Fn, ModuleBuilder, OP } from './emit';

function emit(name: string, adjoint: boolean): Fn {
  const f = new Fn(name, Array(19).fill('i32'));
  const [task, , x, xImage, col, ldcol, c, h, w, kh, kw, ho, wo, sh, sw, pt, pl, dh, dw] = Array.from({ length: 19 }, (_, i) => i);
  const [ic, ky, kx, oy, ox, iy, ix, plane, rowPtr, dst, src] = Array.from({ length: 11 }, () => f.local('i32'));
  const inside = () => f.get(ix).get(w).op(OP.i32LtU);
  const address = () => f.get(plane).get(iy).get(w).op(OP.i32Mul).get(ix).op(OP.i32Add).i32(2).op(OP.i32Shl, OP.i32Add);
  f.get(x).get(task).get(xImage).op(OP.i32Mul, OP.i32Add).set(plane);
  f.get(col).get(task).get(ho).op(OP.i32Mul).get(wo).op(OP.i32Mul).i32(2).op(OP.i32Shl, OP.i32Add).set(rowPtr);
  f.for(ic, () => f.i32(0), () => f.get(c), 1, () => {
    f.for(ky, () => f.i32(0), () => f.get(kh), 1, () => {
      f.for(kx, () => f.i32(0), () => f.get(kw), 1, () => {
        f.get(rowPtr).set(dst);
        f.for(oy, () => f.i32(0), () => f.get(ho), 1, () => {
          f.get(oy).get(sh).op(OP.i32Mul).get(pt).op(OP.i32Sub).get(ky).get(dh).op(OP.i32Mul, OP.i32Add).set(iy);
          f.get(kx).get(dw).op(OP.i32Mul).get(pl).op(OP.i32Sub).set(ix);
          f.if(() => f.get(iy).get(h).op(OP.i32LtU), () => {
            f.for(ox, () => f.i32(0), () => f.get(wo), 1, () => {
              if (adjoint) {
                f.if(inside, () => {
                  address();
                  f.set(src);
                  f.get(src).get(src).mem(OP.f32Load, 2).get(dst).mem(OP.f32Load, 2).op(OP.f32Add).mem(OP.f32Store, 2);
                });
              } else {
                f.get(dst);
                inside();
                f.op(OP.if, 0x7d);
                address();
                f.mem(OP.f32Load, 2).op(OP.else).f32(0).op(OP.end);
                f.mem(OP.f32Store, 2);
              }
              f.inc(dst, 4).inc(ix, () => f.get(sw));
            });
          }, adjoint ? () => f.inc(dst, () => f.get(wo).i32(2).op(OP.i32Shl)) : () => {
            f.for(ox, () => f.i32(0), () => f.get(wo), 1, () => f.get(dst).f32(0).mem(OP.f32Store, 2).inc(dst, 4));
          });
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
