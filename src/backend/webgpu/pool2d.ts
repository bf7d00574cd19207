/** Launching kernels/pool2d.wgsl and pool2d_grad.wgsl: one thread per output (forward) or per input (gradient). */
import type { Pool2dArgs, Storage, TensorRef } from '../backend.js';
import { numel } from './layout.js';
import type { SpatialContext } from './spatial.js';

const WG = 256;

function poolParams(x: TensorRef, args: Pool2dArgs) {
  const [, , h, w] = x.shape as unknown as [number, number, number, number];
  const { kernel: [kh, kw], stride: [sh, sw], padding: [pt, pb, pl, pr] } = args;
  return {
    in_h: h, in_w: w,
    out_h: Math.floor((h + pt + pb - kh) / sh) + 1, out_w: Math.floor((w + pl + pr - kw) / sw) + 1,
    kernel_h: kh, kernel_w: kw, stride_h: sh, stride_w: sw,
    pad_top: pt, pad_bottom: pb, pad_left: pl, pad_right: pr,
  };
}

function constants(op: 'max' | 'avg', args: Pool2dArgs) {
  return { OP: op === 'max' ? 0 : 1, COUNT_INCLUDE_PAD: Number(args.countIncludePad), WG };
}

export function pool2d(ctx: SpatialContext, op: 'max' | 'avg', x: TensorRef, args: Pool2dArgs): Storage {
  const p = poolParams(x, args);
  const total = x.shape[0]! * x.shape[1]! * p.out_h * p.out_w;
  const out = ctx.alloc(total);
  if (total > 0) {
    ctx.queue.dispatch(ctx.kernels.get('pool2d'), constants(op, args), [ctx.bufferOf(x.storage), out.buffer], { ...p, total }, ctx.queue.grid1D(Math.ceil(total / WG)));
  }
  return out.storage;
}

export function pool2dGrad(ctx: SpatialContext, op: 'max' | 'avg', x: TensorRef, gy: TensorRef, args: Pool2dArgs): Storage {
  const p = poolParams(x, args);
  const total = numel(x.shape);
  const out = ctx.alloc(total);
  if (total > 0) {
    const buffers = [ctx.bufferOf(x.storage), ctx.bufferOf(gy.storage), out.buffer];
    ctx.queue.dispatch(ctx.kernels.get('pool2dGrad'), constants(op, args), buffers, { ...p, total }, ctx.queue.grid1D(Math.ceil(total / WG)));
  }
  return out.storage;
}
