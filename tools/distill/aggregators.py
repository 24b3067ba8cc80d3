"""Quiver's aggregators in numpy: the reference that the Swift code must agree with, and the byte
layout of their parameters in a model file's aggregator section (docs/aggregators.md).

Every aggregator sees the live tokens of a text (in the vocabulary, weight ≠ 0) in order, with
decoded vectors e_t (D floats), SIF weights w_t and POS buckets b_t, and returns a unit vector.
"""
import struct

import numpy as np

FUSION_VERSION = 1
STATEFUL_VERSION = 1
SINUSOIDAL_ROWS = 512  # the fallback table's rows; later positions reuse the last
BOOST, STATE, PAIRS = 1, 2, 4
MODES = {"boost-only": BOOST, "boost+state": BOOST | STATE, "stateful": BOOST | STATE | PAIRS}


def unit(a):
    n = np.linalg.norm(a)
    return a / n if n > 0 else a


# ---- fusion -------------------------------------------------------------------------------------

def sinusoidal_positions(count, dim):
    """p_t[i] = 1 + 0.5·sin(t·f_i + φ_i), f_i = 10000^(−2⌊i/2⌋/D), φ_i = (i mod 2)·π/2."""
    i = np.arange(dim)
    f = 10000.0 ** (-2 * (i // 2) / dim)
    phase = (i % 2) * np.pi / 2
    t = np.arange(count)[:, None]
    return (1 + 0.5 * np.sin(t * f + phase)).astype(np.float32)


def pack_fusion(positions, dim):
    """positions: T×D (learned; f16 in the file) or None for the sinusoidal fallback."""
    t = 0 if positions is None else positions.shape[0]
    out = struct.pack("<IIII", FUSION_VERSION, t, dim, 0)
    if positions is not None:
        assert positions.shape == (t, dim)
        out += positions.astype("<f2").tobytes()
    return out


def unpack_fusion(raw, dim):
    version, t, d, _ = struct.unpack_from("<IIII", raw, 0)
    assert version == FUSION_VERSION and d == dim
    table = np.frombuffer(raw, dtype="<f2", count=t * d, offset=16).astype(np.float32).reshape(t, d) if t else None
    return {"positions": table}


def fusion(e, w, params):
    """a = Σ_t w_t (e_t ⊙ p_t); positions beyond the table reuse its last row."""
    n, dim = e.shape
    table = params["positions"]
    table = sinusoidal_positions(SINUSOIDAL_ROWS, dim) if table is None else table
    p = table[np.minimum(np.arange(n), len(table) - 1)]
    return unit((w[:, None] * e * p).sum(0))


# ---- stateful -----------------------------------------------------------------------------------

def pack_stateful(p):
    """p: dict with modes, S, K, r, W, head_mask, alpha, beta, lam, b_max, B (K×K), pairs (K×K bool),
    u (S), P (r×D), Q (r×D)."""
    K, S, r = p["K"], p["S"], p["r"]
    out = struct.pack("<IIIIIIII", STATEFUL_VERSION, p["modes"], S, K, r, p["W"], p["head_mask"], 0)
    out += struct.pack("<ffff", p["alpha"], p["beta"], p["lam"], p["b_max"])
    out += np.asarray(p["B"], dtype="<f2").reshape(K, K).tobytes()
    out += np.asarray(p["pairs"], dtype=np.uint8).reshape(K, K).tobytes()
    out += np.asarray(p["u"], dtype="<f2").reshape(S).tobytes()
    out += np.asarray(p["P"], dtype="<f2").tobytes()
    out += np.asarray(p["Q"], dtype="<f2").tobytes()
    return out


def unpack_stateful(raw, dim):
    version, modes, S, K, r, W, head_mask, _ = struct.unpack_from("<IIIIIIII", raw, 0)
    assert version == STATEFUL_VERSION
    alpha, beta, lam, b_max = struct.unpack_from("<ffff", raw, 32)
    o = 48
    B = np.frombuffer(raw, "<f2", K * K, o).astype(np.float32).reshape(K, K); o += 2 * K * K
    pairs = np.frombuffer(raw, np.uint8, K * K, o).reshape(K, K).astype(bool); o += K * K
    u = np.frombuffer(raw, "<f2", S, o).astype(np.float32); o += 2 * S
    P = np.frombuffer(raw, "<f2", r * dim, o).astype(np.float32).reshape(r, dim); o += 2 * r * dim
    Q = np.frombuffer(raw, "<f2", r * dim, o).astype(np.float32).reshape(r, dim); o += 2 * r * dim
    assert o == len(raw), "aggregator section length"
    return dict(modes=modes, S=S, K=K, r=r, W=W, head_mask=head_mask, alpha=alpha, beta=beta, lam=lam, b_max=b_max,
                B=B, pairs=pairs, u=u, P=P, Q=Q)


def stateful(e, w, b, p, modes=None):
    """The stateful aggregator (modes: BOOST | STATE | PAIRS bits; default: the file's)."""
    modes = p["modes"] if modes is None else modes
    n, dim = e.shape
    S = p["S"]
    s = np.zeros(S, dtype=np.float64)
    a = np.zeros(dim, dtype=np.float64)
    z = np.zeros(p["r"], dtype=np.float64)
    head, head_bucket, head_proj = -1, 0, None
    for t in range(n):
        if modes & STATE:
            s = p["alpha"] * s + p["beta"] * w[t] * e[t, :S]
        gamma, omega = 1.0, 0.0
        near = head >= 0 and t - head <= p["W"]
        if near:
            omega = np.exp(-p["lam"] * (t - head - 1))
        if modes & BOOST and near:
            g = 1 + (p["b_max"] - 1) / (1 + np.exp(-(p["u"] @ s))) if modes & STATE else 1.0
            gamma = 1 + p["B"][b[t], head_bucket] * omega * g
        a += gamma * w[t] * e[t]
        proj = None
        if modes & PAIRS and near and p["pairs"][b[t], head_bucket]:
            proj = p["P"] @ e[t]
            z += omega * proj * head_proj
        if p["head_mask"] >> int(b[t]) & 1:
            head, head_bucket = t, int(b[t])
            if modes & PAIRS:
                head_proj = proj if proj is not None else p["P"] @ e[t]
    if modes & PAIRS:
        a += p["Q"].T @ z
    return unit(a)
