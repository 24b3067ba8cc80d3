"""Product quantisation: k-means per sub-space (numpy only)."""
import numpy as np


def _kmeans(x, k, iterations, rng):
    centroids = x[rng.choice(len(x), size=k, replace=False)].copy()
    for _ in range(iterations):
        d = (x * x).sum(1)[:, None] - 2 * x @ centroids.T + (centroids * centroids).sum(1)[None]
        assign = d.argmin(1)
        counts = np.bincount(assign, minlength=k)
        sums = np.stack([np.bincount(assign, weights=x[:, j], minlength=k) for j in range(x.shape[1])], axis=1)
        live = counts > 0
        centroids[live] = sums[live] / counts[live, None]
        # re-seed empty clusters on the worst-served points
        worst = np.argsort(-d.min(1))[: int((~live).sum())]
        centroids[~live] = x[worst]
    return centroids


def train_pq(x, m, k=256, iterations=25, seed=0):
    """Returns codebook of shape (m, k, d/m), float32."""
    n, d = x.shape
    assert d % m == 0
    sub = d // m
    rng = np.random.default_rng(seed)
    return np.stack([_kmeans(x[:, j * sub:(j + 1) * sub].astype(np.float64), k, iterations, rng)
                     for j in range(m)]).astype(np.float32)


def encode_pq(x, codebook):
    """Nearest centroid per sub-space → uint8 codes of shape (n, m)."""
    m, k, sub = codebook.shape
    codes = np.zeros((len(x), m), dtype=np.uint8)
    for j in range(m):
        xs = x[:, j * sub:(j + 1) * sub]
        c = codebook[j]
        d = (xs * xs).sum(1)[:, None] - 2 * xs @ c.T + (c * c).sum(1)[None]
        codes[:, j] = d.argmin(1)
    return codes
