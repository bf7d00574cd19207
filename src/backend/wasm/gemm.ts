/**
 * The float32 GEMM, emitted as wasm SIMD: C (+)= A . B with A and B read through element strides
 * (so transposes and im2col views need no copy), blocked the GotoBLAS way.
 *
 *   for jc in n0..n1 step NC            columns of C this call (a thread's share) owns
 *     for pc in 0..k step KC            a depth slab: B[pc.., jc..] packed into NR-wide panels (L1-sized)
 *       for ic in 0..m step MC          A[ic.., pc..] packed into MR-tall panels (L2-sized)
 *         for each NR x MR tile         the micro-kernel: MR x NR accumulators in registers
 *
 * The micro-kernel keeps MR * NR/4 v128 accumulators live across the whole depth slab; per depth
 * step it loads NR/4 vectors of B, broadcasts MR scalars of A (load32_splat) and does MR * NR/4
 * multiply-adds (one relaxed-SIMD fused madd each where the engine has it). Packing zero-pads the
 * ragged edges, so the micro-kernel never branches on shape; only its store does (a full tile
 * stores straight into C, an edge tile goes through a small spill buffer).
 *
 * Every element of C is summed by one call in a fixed depth order, so how the columns are split
 * over threads never changes a result bit.
 */
import { Fn, ModuleBuilder, OP, SIMD } from './emit';

export interface GemmConfig { readonly mr: number; readonly nr: number; readonly kc: number; readonly mc: number; readonly nc: number }

/**
 * 5 x 8: ten v128 accumulators, two of B and one splat of A fit V8's 15 allocatable SIMD registers
 * on x64 without spilling; measured 10-25% faster than 4 x 8 on the conv and square shapes (6 x 8
 * spills and runs ~30% slower).
 */
export const GEMM: GemmConfig = { mr: 5, nr: 8, kc: 256, mc: 95, nc: 2048 };

/** Bytes of per-thread scratch the GEMM needs: packed A block, packed B block, spill tile. */
export const GEMM_SCRATCH_BYTES = (GEMM.mc * GEMM.kc + GEMM.kc * GEMM.nc + GEMM.mr * GEMM.nr) * 4;

/** Pushes min(x, y) of two i32 locals. */
export function minOf(f: Fn, x: number | (() => void), y: number | (() => void)): void {
  const push = (v: number | (() => void)) => (typeof v === 'number' ? f.get(v) : v());
  push(x);
  push(y);
  push(x);
  push(y);
  f.op(OP.i32LtS, OP.select);
}

/**
 * pack(src, lineStride, depthStride, lines, depth, dst), strides in bytes: panels of `width`
 * lines, dst[(q * depth + p) * width + r] = src[(q * width + r) * lineStride + p * depthStride],
 * zero past `lines`. Contiguous full panels (lineStride 4) copy whole vectors.
 */
function emitPack(fnName: string, width: number): Fn {
  const f = new Fn(fnName, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], false);
  const [src, lineStride, depthStride, lines, depth, dst] = [0, 1, 2, 3, 4, 5];
  const [q0, w, p, r, ptr, base] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
  f.for(q0, () => f.i32(0), () => f.get(lines), width, () => {
    minOf(f, () => f.i32(width), () => f.get(lines).get(q0).op(OP.i32Sub));
    f.set(w);
    f.get(src).get(q0).get(lineStride).op(OP.i32Mul, OP.i32Add).set(base);
    const vectorCopy = width % 4 === 0;
    f.for(p, () => f.i32(0), () => f.get(depth), 1, () => {
      f.get(base).get(p).get(depthStride).op(OP.i32Mul, OP.i32Add).set(ptr);
      const generic = () => {
        f.for(r, () => f.i32(0), () => f.get(w), 1, () => {
          f.get(dst).get(r).i32(2).op(OP.i32Shl, OP.i32Add);
          f.get(ptr).get(r).get(lineStride).op(OP.i32Mul, OP.i32Add).mem(OP.f32Load, 2);
          f.mem(OP.f32Store, 2);
        });
        f.for(r, () => f.get(w), () => f.i32(width), 1, () => {
          f.get(dst).get(r).i32(2).op(OP.i32Shl, OP.i32Add).f32(0).mem(OP.f32Store, 2);
        });
      };
      if (vectorCopy) {
        f.if(() => f.get(lineStride).i32(4).op(OP.i32Eq).get(w).i32(width).op(OP.i32Eq, OP.i32And), () => {
          for (let v = 0; v < width / 4; v++) f.get(dst).get(ptr).vmem(SIMD.load, 0, v * 16).vmem(SIMD.store, 0, v * 16);
        }, generic);
      } else {
        generic();
      }
      f.inc(dst, width * 4);
    });
  });
  return f;
}

/** micro(ap, bp, kc, c, ldc, rows, cols, accumulate, tile): the MR x NR register block (ldc in bytes). */
function emitMicro(relaxed: boolean, cfg: GemmConfig): Fn {
  const { mr, nr } = cfg;
  const nv = nr / 4;
  const f = new Fn('gemmMicro', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], false);
  const [ap, bp, kc, c, ldc, rows, cols, accumulate, tile] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const acc = Array.from({ length: mr }, () => Array.from({ length: nv }, () => f.local('v128')));
  const bv = Array.from({ length: nv }, () => f.local('v128'));
  const av = f.local('v128');
  const p = f.local('i32');
  for (const row of acc) for (const a of row) f.f32(0).simd(SIMD.f32x4Splat).set(a);
  f.for(p, () => f.i32(0), () => f.get(kc), 1, () => {
    for (let v = 0; v < nv; v++) f.get(bp).vmem(SIMD.load, 4, v * 16).set(bv[v]!);
    for (let r = 0; r < mr; r++) {
      f.get(ap).vmem(SIMD.load32Splat, 2, r * 4).set(av);
      for (let v = 0; v < nv; v++) {
        const a = acc[r]![v]!;
        if (relaxed) f.get(av).get(bv[v]!).get(a).simd(SIMD.f32x4RelaxedMadd).set(a);
        else f.get(a).get(av).get(bv[v]!).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(a);
      }
    }
    f.inc(ap, mr * 4).inc(bp, nr * 4);
  });
  const row = f.local('i32');
  const storeFull = (add: boolean) => {
    f.get(c).set(row);
    for (let r = 0; r < mr; r++) {
      if (r > 0) f.inc(row, () => f.get(ldc));
      for (let v = 0; v < nv; v++) {
        f.get(row);
        if (add) f.get(row).vmem(SIMD.load, 0, v * 16).get(acc[r]![v]!).simd(SIMD.f32x4Add);
        else f.get(acc[r]![v]!);
        f.vmem(SIMD.store, 0, v * 16);
      }
    }
  };
  const [i, j, addr] = [f.local('i32'), f.local('i32'), f.local('i32')];
  const value = f.local('f32');
  f.if(() => f.get(rows).i32(mr).op(OP.i32Eq).get(cols).i32(nr).op(OP.i32Eq, OP.i32And), () => {
    f.if(() => f.get(accumulate), () => storeFull(true), () => storeFull(false));
  }, () => {
    for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) f.get(tile).get(acc[r]![v]!).vmem(SIMD.store, 0, (r * nr + v * 4) * 4);
    f.for(i, () => f.i32(0), () => f.get(rows), 1, () => {
      f.for(j, () => f.i32(0), () => f.get(cols), 1, () => {
        f.get(c).get(i).get(ldc).op(OP.i32Mul, OP.i32Add).get(j).i32(2).op(OP.i32Shl, OP.i32Add).set(addr);
        f.get(tile).get(i).i32(nr).op(OP.i32Mul).get(j).op(OP.i32Add).i32(2).op(OP.i32Shl, OP.i32Add).mem(OP.f32Load, 2).set(value);
        f.if(() => f.get(accumulate), () => f.get(value).get(addr).mem(OP.f32Load, 2).op(OP.f32Add).set(value));
        f.get(addr).get(value).mem(OP.f32Store, 2);
      });
    });
  });
  return f;
}

/**
 * gemm(scratch, a, aRs, aCs, b, bRs, bCs, c, ldc, m, k, n0, n1, accumulate), strides in bytes:
 * C[i, j] (+)= sum_p A[i, p] B[p, j] for i < m and n0 <= j < n1, with A[i, p] at a + i*aRs + p*aCs,
 * B[p, j] at b + p*bRs + j*bCs and C[i, j] at c + i*ldc + j*4. k must be > 0.
 */
function emitGemm(mod: ModuleBuilder, cfg: GemmConfig): Fn {
  const { mr, nr, kc: KC, mc: MC, nc: NC } = cfg;
  const f = new Fn('gemm', Array(14).fill('i32'));
  const [scratch, a, aRs, aCs, b, bRs, bCs, c, ldc, m, k, n0, n1, accumulate] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const [jc, pc, ic, jr, ir, nc, kc, mcur, accNow, ap, bp, tile] = Array.from({ length: 12 }, () => f.local('i32'));
  f.get(scratch).set(ap);
  f.get(scratch).i32(MC * KC * 4).op(OP.i32Add).tee(bp).i32(KC * NC * 4).op(OP.i32Add).set(tile);
  f.for(jc, () => f.get(n0), () => f.get(n1), NC, () => {
    minOf(f, () => f.i32(NC), () => f.get(n1).get(jc).op(OP.i32Sub));
    f.set(nc);
    f.for(pc, () => f.i32(0), () => f.get(k), KC, () => {
      minOf(f, () => f.i32(KC), () => f.get(k).get(pc).op(OP.i32Sub));
      f.set(kc);
      f.get(b).get(pc).get(bRs).op(OP.i32Mul, OP.i32Add).get(jc).get(bCs).op(OP.i32Mul, OP.i32Add);
      f.get(bCs).get(bRs).get(nc).get(kc).get(bp).op(OP.call, mod.indexOf('gemmPackB'));
      f.get(accumulate).get(pc).i32(0).op(OP.i32GtS, OP.i32Or).set(accNow);
      f.for(ic, () => f.i32(0), () => f.get(m), MC, () => {
        minOf(f, () => f.i32(MC), () => f.get(m).get(ic).op(OP.i32Sub));
        f.set(mcur);
        f.get(a).get(ic).get(aRs).op(OP.i32Mul, OP.i32Add).get(pc).get(aCs).op(OP.i32Mul, OP.i32Add);
        f.get(aRs).get(aCs).get(mcur).get(kc).get(ap).op(OP.call, mod.indexOf('gemmPackA'));
        f.for(jr, () => f.i32(0), () => f.get(nc), nr, () => {
          f.for(ir, () => f.i32(0), () => f.get(mcur), mr, () => {
            f.get(ap).get(ir).get(kc).op(OP.i32Mul).i32(2).op(OP.i32Shl, OP.i32Add);
            f.get(bp).get(jr).get(kc).op(OP.i32Mul).i32(2).op(OP.i32Shl, OP.i32Add);
            f.get(kc);
            f.get(c).get(ic).get(ir).op(OP.i32Add).get(ldc).op(OP.i32Mul, OP.i32Add).get(jc).get(jr).op(OP.i32Add).i32(2).op(OP.i32Shl, OP.i32Add);
            f.get(ldc);
            minOf(f, () => f.i32(mr), () => f.get(mcur).get(ir).op(OP.i32Sub));
            minOf(f, () => f.i32(nr), () => f.get(nc).get(jr).op(OP.i32Sub));
            f.get(accNow).get(tile).op(OP.call, mod.indexOf('gemmMicro'));
          });
        });
      });
    });
  });
  return f;
}

/**
 * gemmTask(task, scratch, a, aRs, aCs, aBatch, b, bRs, bCs, bBatch, c, m, n, k, chunk, accumulate):
 * one unit of a batched GEMM for the thread pool (strides in bytes, batch strides 0 to broadcast):
 * task = batch index * chunks + column chunk, each chunk `chunk` columns of a dense [m, n] C.
 */
function emitGemmTask(mod: ModuleBuilder): Fn {
  const f = new Fn('gemmTask', Array(16).fill('i32'));
  const [task, scratch, a, aRs, aCs, aBatch, b, bRs, bCs, bBatch, c, m, n, k, chunk, accumulate] = Array.from({ length: 16 }, (_, i) => i);
  const [chunks, bi, n0] = [f.local('i32'), f.local('i32'), f.local('i32')];
  f.get(n).get(chunk).op(OP.i32Add).i32(1).op(OP.i32Sub).get(chunk).op(OP.i32DivU).set(chunks);
  f.get(task).get(chunks).op(OP.i32DivU).set(bi);
  f.get(task).get(bi).get(chunks).op(OP.i32Mul, OP.i32Sub).get(chunk).op(OP.i32Mul).set(n0);
  f.get(scratch);
  f.get(a).get(bi).get(aBatch).op(OP.i32Mul, OP.i32Add).get(aRs).get(aCs);
  f.get(b).get(bi).get(bBatch).op(OP.i32Mul, OP.i32Add).get(bRs).get(bCs);
  f.get(c).get(bi).get(m).op(OP.i32Mul).get(n).op(OP.i32Mul).i32(2).op(OP.i32Shl, OP.i32Add);
  f.get(n).i32(2).op(OP.i32Shl).get(m).get(k).get(n0);
  minOf(f, n, () => f.get(n0).get(chunk).op(OP.i32Add));
  f.get(accumulate).op(OP.call, mod.indexOf('gemm'));
  return f;
}

export function addGemm(mod: ModuleBuilder, relaxed: boolean, cfg: GemmConfig = GEMM): void {
  mod.add(emitPack('gemmPackA', cfg.mr));
  mod.add(emitPack('gemmPackB', cfg.nr));
  mod.add(emitMicro(relaxed, cfg));
  mod.add(emitGemm(mod, cfg));
  mod.add(emitGemmTask(mod));
}
