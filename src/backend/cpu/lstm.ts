/** The LSTM cell's gate math after its matmuls (gate order i, f, g, o, as PyTorch). */
import type { HostArray } from '../backend';

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** z = xGates + hGates + bias ([B, 4H]); c' = s(f) c + s(i) tanh(g); h' = s(o) tanh(c'). */
export function lstmCell(
  xGates: HostArray, hGates: HostArray, bias: HostArray | null, c: HostArray,
  batch: number, hidden: number, hOut: HostArray, cOut: HostArray,
): void {
  const gate = (row: number, which: number, j: number): number => {
    const col = which * hidden + j;
    const at = row * 4 * hidden + col;
    return xGates[at]! + hGates[at]! + (bias ? bias[col]! : 0);
  };
  for (let r = 0; r < batch; r++) {
    for (let j = 0; j < hidden; j++) {
      const at = r * hidden + j;
      const cNew = sigmoid(gate(r, 1, j)) * c[at]! + sigmoid(gate(r, 0, j)) * Math.tanh(gate(r, 2, j));
      cOut[at] = cNew;
      hOut[at] = sigmoid(gate(r, 3, j)) * Math.tanh(cNew);
    }
  }
}
