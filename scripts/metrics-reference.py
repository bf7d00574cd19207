"""Reference values for test/metrics-reference.test.ts, computed once with numpy/scipy.

    python3 scripts/metrics-reference.py   # writes test/fixtures/metrics-reference.json

Each metric follows its published reference code: FID as pytorch-fid (np.cov, scipy.linalg.sqrtm
of sigma1 @ sigma2, real part of its trace); KID as the unbiased MMD^2 of Binkowski et al. with
the cubic kernel (x.y/d + 1)^3 on subsets the size of the sets (so every subset is the whole set
and the value is deterministic); improved precision/recall of Kynkaanniemi et al. with k = 3
(the k-th neighbour in a row of sorted distances that holds the point itself at 0); the
Inception score of Salimans et al. over 10 consecutive splits (np.std over splits); and the
percentile-trimmed mean of the perceptual path length (np.percentile 'lower'/'higher').
The features are seeded draws, so the file is reproducible; the tests never run Python.
"""
import json
import numpy as np
from scipy import linalg
from scipy.spatial.distance import cdist

rng = np.random.default_rng(20261202)
n, d = 120, 16
a1 = rng.normal(size=(d, d)) / np.sqrt(d)
a2 = a1 + 0.3 * rng.normal(size=(d, d)) / np.sqrt(d)
x = rng.normal(size=(n, d)) @ a1 + rng.normal(size=d)
y = rng.normal(size=(n, d)) @ a2 + 0.2 * rng.normal(size=d)


def fid(f1, f2):
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    covmean = linalg.sqrtm(s1.dot(s2))
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def mmd2_unbiased(f1, f2):
    m, dim = f1.shape
    kxx = (f1 @ f1.T / dim + 1) ** 3
    kyy = (f2 @ f2.T / dim + 1) ** 3
    kxy = (f1 @ f2.T / dim + 1) ** 3
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.sum() / m**2)


def precision_recall(real, fake, k=3):
    r_real = np.sort(cdist(real, real), axis=1)[:, k]
    r_fake = np.sort(cdist(fake, fake), axis=1)[:, k]
    precision = (cdist(fake, real) <= r_real[None, :]).any(axis=1).mean()
    recall = (cdist(real, fake) <= r_fake[None, :]).any(axis=1).mean()
    return float(precision), float(recall)


def inception_score(p, splits=10):
    scores = []
    for part in np.array_split(p, splits):
        py = part.mean(0, keepdims=True)
        kl = (part * (np.log(part) - np.log(py))).sum(1).mean()
        scores.append(np.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))


logits = rng.normal(size=(100, 10)) * 2
probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
distances = rng.lognormal(size=300) * 10
lo = np.percentile(distances, 1, method="lower")
hi = np.percentile(distances, 99, method="higher")
ppl = float(distances[(distances >= lo) & (distances <= hi)].mean())

precision, recall = precision_recall(x, y)
is_mean, is_std = inception_score(probs)
out = {
    "dim": d,
    "x": x.ravel().tolist(),
    "y": y.ravel().tolist(),
    "probs": probs.ravel().tolist(),
    "distances": distances.tolist(),
    "fid": fid(x, y),
    "kid": mmd2_unbiased(x, y),
    "precision": precision,
    "recall": recall,
    "is_mean": is_mean,
    "is_std": is_std,
    "ppl_trimmed_mean": ppl,
    "generator": "scripts/metrics-reference.py (numpy %s, scipy %s)" % (np.__version__, __import__("scipy").__version__),
}
with open("test/fixtures/metrics-reference.json", "w") as f:
    json.dump(out, f)
print({k: v for k, v in out.items() if not isinstance(v, list)})
