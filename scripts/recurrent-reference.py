"""Writes test/fixtures/recurrent-torch.json: outputs and final states of PyTorch's RNN, LSTM and GRU
layers and cells (float64) with parameters and inputs set by a formula that the test repeats, so
test/nn-recurrent.test.ts checks the names, gate order and wiring against PyTorch without Python.
Run: python3 scripts/recurrent-reference.py"""
import json
import math

import torch

torch.set_default_dtype(torch.float64)


def fill(t, k):
    """Element j of the k-th tensor: 0.5 sin(0.7 j + 1.3 k + 0.1)."""
    n = t.numel()
    t.copy_(torch.tensor([0.5 * math.sin(0.7 * j + 1.3 * k + 0.1) for j in range(n)]).reshape(t.shape))


def set_params(m):
    with torch.no_grad():
        for k, (_, p) in enumerate(m.named_parameters()):
            fill(p, k)


def inputs(shape, k):
    t = torch.zeros(shape)
    fill(t, 100 + k)
    return t


cases = []
layers = [
    ("RNN", dict(input_size=3, hidden_size=4, num_layers=2, nonlinearity="relu")),
    ("RNN", dict(input_size=3, hidden_size=4, bidirectional=True)),
    ("LSTM", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, batch_first=True)),
    ("GRU", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)),
    ("GRU", dict(input_size=3, hidden_size=5, bias=False, batch_first=True)),
]
for name, kw in layers:
    m = getattr(torch.nn, name)(**kw)
    set_params(m)
    b, t = 2, 5
    x = inputs((b, t, 3) if kw.get("batch_first") else (t, b, 3), 0)
    d = 2 if kw.get("bidirectional") else 1
    h0 = inputs((kw.get("num_layers", 1) * d, b, kw["hidden_size"]), 1)
    if name == "LSTM":
        c0 = inputs(h0.shape, 2)
        out, (h, c) = m(x, (h0, c0))
        states = [h.flatten().tolist(), c.flatten().tolist()]
    else:
        out, h = m(x, h0)
        states = [h.flatten().tolist()]
    cases.append(dict(layer=name, options=kw, names=[n for n, _ in m.named_parameters()],
                      out_shape=list(out.shape), out=out.flatten().tolist(), states=states))

for name in ["RNNCell", "LSTMCell", "GRUCell"]:
    m = getattr(torch.nn, name)(3, 4)
    set_params(m)
    x = inputs((2, 3), 0)
    h0 = inputs((2, 4), 1)
    r = m(x, (h0, inputs((2, 4), 2))) if name == "LSTMCell" else m(x, h0)
    outs = list(r) if isinstance(r, tuple) else [r]
    cases.append(dict(layer=name, options={}, names=[n for n, _ in m.named_parameters()],
                      out_shape=list(outs[0].shape), out=outs[0].flatten().tolist(),
                      states=[o.flatten().tolist() for o in outs[1:]]))

with open("test/fixtures/recurrent-torch.json", "w") as f:
    json.dump(dict(torch=torch.__version__, cases=cases), f)
print(f"wrote {len(cases)} cases (torch {torch.__version__})")
