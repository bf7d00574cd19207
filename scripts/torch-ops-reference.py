"""Writes test/fixtures/torch-ops-reference.json: PyTorch's values (float64) for alpha_dropout,
local_response_norm, conv3d, torchvision-style roi_align, ctc_loss, linalg.lu_factor / lu, svd and
matrix_exp, with inputs set by a formula that the tests repeat (fill below), so the tests check
against PyTorch without Python. Gradients are of sum(out * fill(out.shape, k)).
Run: python3 scripts/torch-ops-reference.py"""
import json
import math

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def fill(shape, k, scale=1.0):
    """Element j of the k-th tensor: scale * 0.5 sin(0.7 j + 1.3 k + 0.1)."""
    n = math.prod(shape)
    return torch.tensor([scale * 0.5 * math.sin(0.7 * j + 1.3 * k + 0.1) for j in range(n)]).reshape(shape)


def fillq(shape, k, scale=1.0):
    """A quadratic phase, scale * 0.5 sin(0.3 j^2 + 1.3 k + 0.1): fill's rows obey a linear recurrence,
    so its matrices have rank 2; these are of full rank, as the linear-algebra cases need."""
    n = math.prod(shape)
    return torch.tensor([scale * 0.5 * math.sin(0.3 * j * j + 1.3 * k + 0.1) for j in range(n)]).reshape(shape)


def flat(t):
    return t.detach().flatten().tolist()


def grads(out, inputs, k):
    g = torch.autograd.grad((out * fill(out.shape, k)).sum(), inputs)
    return [flat(x) for x in g]


ref = {}

# alpha_dropout: the kept values are a x + b and the dropped ones one constant.
torch.manual_seed(0)
x = fill([400], 0, 4.0)
ref["alpha_dropout"] = dict(p=0.3, x=flat(x), out=flat(F.alpha_dropout(x, 0.3, True)))

# local_response_norm over 3-, 4- and 5-D inputs, odd and even sizes.
lrn = []
for shape, size, alpha, beta, kk in [([2, 5, 7], 2, 0.1, 0.75, 1.0), ([2, 5, 3, 4], 3, 0.3, 0.75, 2.0), ([1, 6, 2, 3, 3], 4, 0.2, 0.5, 1.0)]:
    x = fill(shape, 1, 3.0).requires_grad_()
    out = F.local_response_norm(x, size, alpha, beta, kk)
    lrn.append(dict(shape=shape, size=size, alpha=alpha, beta=beta, k=kk, out=flat(out), grad=grads(out, [x], 2)[0]))
ref["local_response_norm"] = lrn

# conv3d with groups, uneven stride / padding / dilation.
x = fill([2, 4, 5, 6, 7], 3).requires_grad_()
w = fill([6, 2, 3, 2, 3], 4).requires_grad_()
b = fill([6], 5).requires_grad_()
out = F.conv3d(x, w, b, stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1), groups=2)
ref["conv3d"] = dict(out_shape=list(out.shape), out=flat(out), grads=grads(out, [x, w, b], 6))


# roi_align as torchvision.ops.roi_align (written out, the torchvision package is not installed):
# bilinear samples at a grid of points per bin, averaged.
def roi_align(inp, boxes, out_size, scale, sampling_ratio, aligned):
    n, c, h, w = inp.shape
    ph, pw = out_size
    outs = []
    for box in boxes.tolist():
        bi = int(box[0])
        off = 0.5 if aligned else 0.0
        x1, y1, x2, y2 = [v * scale - off for v in box[1:]]
        rw, rh = x2 - x1, y2 - y1
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph, rw / pw
        gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / ph)
        gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / pw)
        count = max(gh * gw, 1)
        o = torch.zeros(c, ph, pw)
        for i in range(ph):
            for j in range(pw):
                acc = torch.zeros(c)
                for iy in range(gh):
                    y = y1 + i * bh + (iy + 0.5) * bh / gh
                    for ix in range(gw):
                        xx = x1 + j * bw + (ix + 0.5) * bw / gw
                        if y < -1.0 or y > h or xx < -1.0 or xx > w:
                            continue
                        yy, xv = max(y, 0.0), max(xx, 0.0)
                        yl, xl = int(yy), int(xv)
                        if yl >= h - 1:
                            yl = yh = h - 1
                            yy = float(yl)
                        else:
                            yh = yl + 1
                        if xl >= w - 1:
                            xl = xh = w - 1
                            xv = float(xl)
                        else:
                            xh = xl + 1
                        ly, lx = yy - yl, xv - xl
                        hy, hx = 1 - ly, 1 - lx
                        acc = acc + hy * hx * inp[bi, :, yl, xl] + hy * lx * inp[bi, :, yl, xh] + ly * hx * inp[bi, :, yh, xl] + ly * lx * inp[bi, :, yh, xh]
                o[:, i, j] = acc / count
        outs.append(o)
    return torch.stack(outs)


boxes = torch.tensor([[0, 1.3, 2.2, 8.7, 7.9], [1, -1.5, 0.5, 5.2, 11.0], [0, 3.0, 3.0, 3.4, 3.2], [1, 6.1, 2.0, 11.5, 9.7], [0, 10.0, -4.0, 13.5, 2.5]])
roi = []
for scale, sr, aligned in [(1.0, 2, False), (1.0, -1, True), (0.5, -1, False), (0.75, 3, True)]:
    x = fill([2, 3, 10, 12], 7, 2.0).requires_grad_()
    out = roi_align(x, boxes, (3, 4), scale, sr, aligned)
    roi.append(dict(spatial_scale=scale, sampling_ratio=sr, aligned=aligned, out=flat(out), grad=grads(out, [x], 8)[0]))
ref["roi_align"] = dict(boxes=flat(boxes), cases=roi)

# ctc_loss: gradients through log_softmax of logits (PyTorch's own CTC gradient assumes normalized inputs).
targets = torch.tensor([[1, 2, 2, 3], [4, 1, 0, 0], [3, 3, 1, 0]])
ctc = []
for reduction, blank, zero_inf, in_lens, tg in [
    ("mean", 0, False, [12, 9, 7], targets),
    ("sum", 0, False, [12, 9, 7], targets),
    ("none", 0, False, [12, 3, 7], targets),
    ("none", 0, True, [12, 3, 2], targets),
    ("mean", 4, False, [11, 12, 6], torch.tensor([[1, 2, 2, 3], [0, 1, 0, 0], [3, 3, 1, 0]])),
]:
    logits = fill([12, 3, 5], 8, 3.0).requires_grad_()
    lp = F.log_softmax(logits, -1)
    tl = [4, 2, 3]
    loss = F.ctc_loss(lp, tg, torch.tensor(in_lens), torch.tensor(tl), blank=blank, reduction=reduction, zero_infinity=zero_inf)
    ctc.append(dict(reduction=reduction, blank=blank, zero_infinity=zero_inf, input_lengths=in_lens, target_lengths=tl,
                    targets=flat(tg), loss=flat(loss), grad=grads(loss, [logits], 9)[0]))
ref["ctc_loss"] = ctc

# lu_factor / lu and their gradient.
a = fillq([2, 4, 4], 9, 2.0).requires_grad_()
lu_, piv = torch.linalg.lu_factor(a)
p, l, u = torch.linalg.lu(a)
g = torch.autograd.grad((l * fill(l.shape, 10)).sum() + (u * fill(u.shape, 11)).sum(), [a])[0]
ref["lu"] = dict(LU=flat(lu_), pivots=flat(piv), P=flat(p), L=flat(l), U=flat(u), grad=flat(g))

# svd: singular values (tall, wide), their gradient, and a sign-free function of U and Vh.
svd = []
for shape in [[2, 5, 3], [3, 5]]:
    a = fillq(shape, 12, 2.0).requires_grad_()
    s = torch.linalg.svdvals(a)
    u, s2, vh = torch.linalg.svd(a, full_matrices=False)
    f = (u * u * fill(u.shape, 14)).sum() + (vh * vh * fill(vh.shape, 15)).sum() + (s2 * fill(s2.shape, 16)).sum()
    svd.append(dict(shape=shape, S=flat(s), grad_S=grads(s, [a], 13)[0], grad_uv=flat(torch.autograd.grad(f, [a])[0])))
ref["svd"] = svd

# matrix_exp: small norm (no squaring) and large norm (squarings), with gradients.
mexp = []
for shape, k, scale in [([2, 3, 3], 17, 1.5), ([4, 4], 18, 12.0)]:
    a = fillq(shape, k, scale).requires_grad_()
    out = torch.linalg.matrix_exp(a)
    mexp.append(dict(shape=shape, k=k, scale=scale, out=flat(out), grad=grads(out, [a], 19)[0]))
ref["matrix_exp"] = mexp

with open("test/fixtures/torch-ops-reference.json", "w") as fh:
    json.dump(ref, fh)
print("wrote test/fixtures/torch-ops-reference.json")
