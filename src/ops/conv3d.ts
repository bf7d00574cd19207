/**
 * 3-D convolution as one 2-D convolution: the kD depth taps of every output depth are strided
 * slices of the (padded) input, laid side by side as channels, so a single conv2d over
 * [N * Do, groups * kD * C / groups, H, W] with the weight's depth taps moved next to its input
 * channels sums all kD * kH * kW taps in one GEMM. It runs on every backend and its gradient flows
 * through slice, pad and conv2d.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, requireFloat } from './core.js';
import { conv2d } from './conv.js';
import { add } from './elementwise.js';
import { pad, permute, reshape, slice, stack } from './shapeops.js';
import { checkRank } from './spatial.js';

/** One number for depth, height and width, or [d, h, w]. */
export type Triple = number | readonly [number, number, number];

/** Options of conv3d (torch.nn.functional.conv3d's). */
export interface Conv3dOptions {
  /** Step between windows (default 1). */
  stride?: Triple;
  /** Zeros on both sides of each axis (a number or [d, h, w]), or 'same' (stride 1) / 'valid'. */
  padding?: Triple | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: Triple;
  /** Channel groups convolved separately; must divide both channel counts (default 1). */
  groups?: number;
}

function intTriple(op: string, name: string, v: Triple, min: number): [number, number, number] {
  const t = typeof v === 'number' ? [v, v, v] : Array.isArray(v) && v.length === 3 ? [...v] : null;
  if (!t || t.some((d) => !Number.isInteger(d) || d < min)) throw new ArgumentError(`${op}: ${name} must be an integer >= ${min} or three of them [d, h, w], got ${JSON.stringify(v)}`);
  return t as [number, number, number];
}

/**
 * 3-D convolution of x [N, C, D, H, W] with weight [O, C / groups, kD, kH, kW] (+ bias [O]), as
 * PyTorch's (cross-correlation). @torch torch.nn.functional.conv3d
 */
export function conv3d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv3dOptions = {}): Tensor {
  const op = 'conv3d';
  checkInputs(op, x, weight, ...(bias ? [bias] : []));
  requireFloat(op, x);
  checkRank(op, 'input', x, 5, 'N, C, D, H, W');
  checkRank(op, 'weight', weight, 5, 'O, C / groups, kD, kH, kW');
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ArgumentError(`${op}: groups must be a positive integer, got ${JSON.stringify(groups)}`);
  const [n, c, d, h, w] = x.shape as [number, number, number, number, number];
  const [o, cg, kd, kh, kw] = weight.shape as [number, number, number, number, number];
  const shapes = `input ${fmtShape(x.shape)}, weight ${fmtShape(weight.shape)}, groups ${groups}`;
  if (c !== cg * groups || o % groups !== 0) throw new ShapeError(`${op}: input channels must equal weight.shape[1] * groups and groups must divide the output channels (${shapes})`);
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== o)) throw new ShapeError(`${op}: bias must be [${o}], got ${fmtShape(bias.shape)} (${shapes})`);
  const stride = intTriple(op, 'stride', opts.stride ?? 1, 1);
  const dilation = intTriple(op, 'dilation', opts.dilation ?? 1, 1);
  const kernel = [kd, kh, kw];
  const size = [d, h, w];
  const p = opts.padding ?? 0;
  let pads: [number, number][];
  if (p === 'valid') pads = [[0, 0], [0, 0], [0, 0]];
  else if (p === 'same') {
    if (stride.some((s) => s !== 1)) throw new ArgumentError(`${op}: padding 'same' needs stride 1, got stride ${JSON.stringify(stride)} (${shapes})`);
    // PyTorch puts the odd element of the total padding after the input.
    pads = kernel.map((k, i) => {
      const total = dilation[i]! * (k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  } else pads = intTriple(op, 'padding', p, 0).map((v) => [v, v]);
  const out = size.map((s, i) => Math.floor((s + pads[i]![0] + pads[i]![1] - dilation[i]! * (kernel[i]! - 1) - 1) / stride[i]!) + 1);
  if (out.some((v) => v < 1)) throw new ShapeError(`${op}: the kernel ${fmtShape(kernel)} (dilation ${JSON.stringify(dilation)}) is larger than the padded input ${fmtShape(size.map((s, i) => s + pads[i]![0] + pads[i]![1]))} (${shapes})`);
  const [od, oh, ow] = out as [number, number, number];
  return composite([x, weight, ...(bias ? [bias] : [])], () => {
    const padded = pads.some(([a, b]) => a + b > 0) ? pad(x, [...pads[2]!, ...pads[1]!, ...pads[0]!]) : x;
    // Depth tap t of every output depth: a strided slice [N, C, Do, H', W'] -> [N * Do, C, H', W'].
    const taps = Array.from({ length: kd }, (_, t) => {
      const start = t * dilation[0];
      const depth = slice(padded, [null, null, { start, stop: start + (od - 1) * stride[0] + 1, step: stride[0] }]);
      const [hp, wp] = padded.shape.slice(3) as [number, number];
      return reshape(permute(depth, [0, 2, 1, 3, 4]), [n * od, groups, cg, hp, wp]);
    });
    // Channels ordered (group, tap, channel in group), so each group's taps stay contiguous.
    const columns = reshape(stack(taps, 2), [n * od, c * kd, ...(padded.shape.slice(3) as [number, number])]);
    const kernel2d = reshape(permute(weight, [0, 2, 1, 3, 4]), [o, kd * cg, kh, kw]);
    const y = conv2d(columns, kernel2d, null, { stride: [stride[1], stride[2]], dilation: [dilation[1], dilation[2]], groups });
    const result = permute(reshape(y, [n, od, o, oh, ow]), [0, 2, 1, 3, 4]);
    return bias ? add(result, reshape(bias, [1, o, 1, 1, 1])) : result;
  });
}
