/**
 * The LSTM cell as two gate matmuls (input and recurrent, each computing all four gates at once)
 * followed by one fused elementwise kernel for the gate math, which is where an unfused LSTM
 * spends a dozen small dispatches per step. Gate order i, f, g, o and weight layout follow PyTorch's
 * LSTMCell, so its checkpoints load as they are.
 */
import { record } from '../autograd.js';
import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkFits, checkInputs, requireFloat, wrap } from './core.js';
import { zerosLike } from './creation.js';
import { add, mul, sigmoid, square, sub, tanh } from './elementwise.js';
import { batchedMatmul } from './matmul.js';
import { sumToShape } from './reduce.js';
import { cat, reshape, split } from './shapeops.js';

/** x [B, I] @ w[4H, I]^T as [B, 4H], without materialising the transpose. */
function gateProjection(x: Tensor, w: Tensor): Tensor {
  const [batch, inputs] = x.shape as [number, number];
  return reshape(batchedMatmul(reshape(x, [1, batch, inputs]), reshape(w, [1, ...w.shape]), false, true), [batch, w.shape[0]!]);
}

function checkShapes(x: Tensor, h: Tensor, c: Tensor, wIh: Tensor, wHh: Tensor, bias: Tensor | null): void {
  const all = [x, h, c, wIh, wHh, ...(bias ? [bias] : [])];
  for (const t of all) {
    if (t.dtype !== x.dtype) throw new DTypeError(`lstmCell: all inputs must share a dtype, got ${all.map((u) => u.dtype).join(', ')}`);
  }
  const [batch, inputs] = x.shape as [number, number];
  const hidden = h.shape[1]!;
  const ok = x.shape.length === 2 && h.shape.length === 2 && h.shape[0] === batch
    && shapesEqual(c.shape, h.shape) && shapesEqual(wIh.shape, [4 * hidden, inputs])
    && shapesEqual(wHh.shape, [4 * hidden, hidden]) && (!bias || shapesEqual(bias.shape, [4 * hidden]));
  if (!ok) {
    throw new ShapeError(
      `lstmCell: expected x [B, I], h and c [B, H], wIh [4H, I], wHh [4H, H], bias [4H]; got x ${fmtShape(x.shape)}, ` +
        `h ${fmtShape(h.shape)}, c ${fmtShape(c.shape)}, wIh ${fmtShape(wIh.shape)}, wHh ${fmtShape(wHh.shape)}` +
        (bias ? `, bias ${fmtShape(bias.shape)}` : ''),
    );
  }
}

/**
 * One LSTM step: returns [h', c'] with z = x wIh^T + h wHh^T + bias split into gates i, f, g, o,
 * c' = sigmoid(f) c + sigmoid(i) tanh(g) and h' = sigmoid(o) tanh(c'). `bias` is PyTorch's
 * bias_ih + bias_hh (or null). Differentiable in every input, to any order.
 */
export function lstmCell(x: Tensor, h: Tensor, c: Tensor, wIh: Tensor, wHh: Tensor, bias: Tensor | null = null): [Tensor, Tensor] {
  const backend = checkInputs('lstmCell', x, h, c, wIh, wHh, ...(bias ? [bias] : []));
  requireFloat('lstmCell', x, 'x');
  checkShapes(x, h, c, wIh, wHh, bias);
  checkFits('lstmCell', backend, c.shape, c.dtype);
  const xGates = gateProjection(x, wIh);
  const hGates = gateProjection(h, wHh);
  const [hStorage, cStorage] = backend.lstmCell(xGates, hGates, bias, c);
  const cNext = wrap(backend, cStorage, c.shape, c.dtype);
  const hNext = wrap(backend, hStorage, c.shape, c.dtype);
  const gateInputs = bias ? [xGates, hGates, bias] : [xGates, hGates];
  const hidden = c.shape[1]!;

  // Each output's rule recomputes the gate activations with ops (cheap, elementwise) and returns
  // dz for xGates and hGates alike (z is their sum), and its batch sum for the bias.
  const gates = () => {
    const z = add(xGates, hGates);
    return split(bias ? add(z, bias) : z, hidden, 1) as [Tensor, Tensor, Tensor, Tensor];
  };
  const toInputs = (dz: Tensor): Tensor[] => (bias ? [dz, dz, sumToShape(dz, bias.shape)] : [dz, dz]);
  const sigmoidGrad = (s: Tensor) => mul(s, sub(1, s));

  record(cNext, 'lstmCell', [...gateInputs, c], (g) => {
    const [zi, zf, zg] = gates();
    const [i, f, cand] = [sigmoid(zi), sigmoid(zf), tanh(zg)];
    const dz = cat([
      mul(g, mul(cand, sigmoidGrad(i))),
      mul(g, mul(c, sigmoidGrad(f))),
      mul(g, mul(i, sub(1, square(cand)))),
      zerosLike(g),
    ], 1);
    return [...toInputs(dz), mul(g, f)];
  });
  // h' = sigmoid(o) tanh(c'): its rule reaches c' (and through c''s rule, the other gates).
  record(hNext, 'lstmCell', [...gateInputs, cNext], (g) => {
    const o = sigmoid(gates()[3]);
    const t = tanh(cNext);
    const dzo = mul(g, mul(t, sigmoidGrad(o)));
    const zero = zerosLike(g);
    return [...toInputs(cat([zero, zero, zero, dzo], 1)), mul(g, mul(o, sub(1, square(t))))];
  });
  return [hNext, cNext];
}
