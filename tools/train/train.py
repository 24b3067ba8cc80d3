#!/usr/bin/env python3
"""Trains Quiver's fusion and stateful aggregators on the Debian corpus and writes model files.

The token vectors, weights and tokenizer are the fixture model's (fixtures/quiver-256d-pq.qvm),
frozen; only the aggregator's parameters are fitted, so that the aggregated vector matches the
teacher's (all-MiniLM-L6-v2) sentence embedding: loss = (1 − cos(R·v, t)) + 0.1 · in-batch
InfoNCE(R·v, t; τ = 0.05) + 1.0 · KL(teacher ‖ student) of the in-batch similarity distributions
(softmax of t·tᵀ/τ and v·vᵀ/τ), where R (256 → 384) is a linear map trained alongside (training
only; it is not in the model file). Without the last term the stateful aggregator lost to mean on
retrieval (docs/quality.md): the first two terms can be met inside R's image alone. Texts: the train split's short descriptions and first paragraphs of long
descriptions (tools/corpus/extract_debian.py); the test split is never seen. Each variant gets the
same budget: mean (R only), fusion (positions), boost-only, boost+state, stateful (all terms).
Parameters are written f16 (docs/aggregators.md); the variants' model files go to --work, the
fusion and stateful ones also to --out.

  tools/.venv/bin/pip install -r tools/train/requirements.txt
  python3 tools/train/pos_buckets.py fixtures/debian-unigram-32k.model --out /tmp/train/pos.npy
  tools/.venv/bin/python tools/train/train.py --corpus /tmp/corpus/descriptions.jsonl --work /tmp/train --out fixtures \
      --train 30000 --held 3000 --epochs 16   # ~17 min of teacher passes (cached in --work), ~3 min of training
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import sentencepiece as spm
import torch

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "distill"))
import aggregators  # noqa: E402
from model_file import read_model, write_model  # noqa: E402

L = 64          # live tokens per text in training (longer texts are cut)
T = 32          # learned positions (fusion)
S, K, R, W, B_MAX = 32, 8, 16, 4, 3.0
HEADS = [1, 2, 3, 4]  # noun, verb, adj, adv (docs/aggregators.md)


def texts_of(corpus, split, limit, seed):
    out = []
    for line in open(corpus, encoding="utf-8"):
        r = json.loads(line)
        if r["split"] != split:
            continue
        out.append(r["short"])
        first = r["long"].split("\n\n")[0].replace("\n", " ").strip()
        if first:
            out.append(first)
    rng = np.random.default_rng(seed)
    rng.shuffle(out)
    return out[:limit]


def teacher_embeddings(texts, path):
    if os.path.exists(path):
        return np.load(path)
    from teacher import Teacher
    t0 = time.time()
    emb = Teacher().encode(texts, batch_size=64)
    np.save(path, emb)
    print(f"teacher: {len(texts)} texts in {time.time() - t0:.0f} s", file=sys.stderr)
    return emb


def batch_arrays(texts, sp, weights, buckets):
    """Live ids (padded with 0), mask, and for each position its head's index and distance."""
    n = len(texts)
    ids = np.zeros((n, L), dtype=np.int64)
    mask = np.zeros((n, L), dtype=np.float32)
    head = np.full((n, L), -1, dtype=np.int64)
    for i, t in enumerate(texts):
        live = [x for x in sp.encode(t) if weights[x] != 0][:L]
        ids[i, :len(live)] = live
        mask[i, :len(live)] = 1
        h = -1
        for j, x in enumerate(live):
            head[i, j] = h
            if buckets[x] in HEADS:
                h = j
    return ids, mask, head


class Aggregator(torch.nn.Module):
    def __init__(self, kind, modes, dim, base_positions=None):
        super().__init__()
        self.kind, self.modes = kind, modes
        self.R = torch.nn.Linear(dim, 384, bias=False)
        if kind == "fusion":
            self.positions = torch.nn.Parameter(torch.ones(T, dim))
        if kind == "stateful":
            self.alpha_raw = torch.nn.Parameter(torch.tensor(0.0))
            self.beta = torch.nn.Parameter(torch.tensor(1.0))
            self.lam_raw = torch.nn.Parameter(torch.tensor(0.5))
            self.B = torch.nn.Parameter(torch.zeros(K, K))
            self.u = torch.nn.Parameter(torch.zeros(S))
            self.P = torch.nn.Parameter(torch.randn(R, dim) * 0.1)
            self.Q = torch.nn.Parameter(torch.zeros(R, dim))
            pairs = torch.zeros(K, K)
            for a in HEADS:
                for b in HEADS:
                    pairs[a, b] = 1
            self.register_buffer("pairs", pairs)

    def alpha(self):
        return torch.sigmoid(self.alpha_raw)

    def lam(self):
        return torch.nn.functional.softplus(self.lam_raw)

    def forward(self, e, w, b, head, mask):
        """e: n×L×D, w/mask: n×L, b: n×L buckets, head: n×L (−1: none). Returns unit n×D."""
        w = w * mask
        if self.kind == "mean":
            a = (w[..., None] * e).sum(1)
        elif self.kind == "fusion":
            a = (w[..., None] * e * self.positions[torch.clamp(torch.arange(e.shape[1]), max=T - 1)]).sum(1)
        else:
            n, length, dim = e.shape
            pos = torch.arange(length)
            has = head >= 0
            delta = (pos[None, :] - head).float()
            near = (has & (delta <= W)).float()
            omega = torch.exp(-self.lam() * (delta - 1).clamp(min=0)) * near
            hb = torch.gather(b, 1, head.clamp(min=0))
            gamma = torch.ones_like(w)
            if self.modes & aggregators.BOOST:
                g = torch.ones_like(w)
                if self.modes & aggregators.STATE:
                    s = torch.zeros(n, S)
                    states = []
                    for t in range(length):
                        s = self.alpha() * s + self.beta * w[:, t, None] * e[:, t, :S]
                        states.append(s)
                    states = torch.stack(states, 1)
                    g = 1 + (B_MAX - 1) * torch.sigmoid(states @ self.u)
                gamma = 1 + self.B[b, hb] * omega * g
            a = (gamma[..., None] * w[..., None] * e).sum(1)
            if self.modes & aggregators.PAIRS:
                pe = e @ self.P.T
                ph = torch.gather(pe, 1, head.clamp(min=0)[..., None].expand(-1, -1, R))
                weight = omega * self.pairs[b, hb] * mask
                z = (weight[..., None] * pe * ph).sum(1)
                a = a + z @ self.Q
        return torch.nn.functional.normalize(a, dim=-1)

    def export(self, dim):
        if self.kind == "fusion":
            return aggregators.pack_fusion(self.positions.detach().numpy(), dim)
        mask = sum(1 << h for h in HEADS)
        return aggregators.pack_stateful(dict(
            modes=self.modes, S=S, K=K, r=R, W=W, head_mask=mask, alpha=float(self.alpha()), beta=float(self.beta),
            lam=float(self.lam()), b_max=B_MAX, B=self.B.detach().numpy(), pairs=self.pairs.numpy().astype(bool),
            u=self.u.detach().numpy(), P=self.P.detach().numpy(), Q=self.Q.detach().numpy()))


SIMILARITY_WEIGHT = 1.0


def loss_fn(v, model, target):
    """1 − cos(R·v, t) + 0.1·InfoNCE(R·v, t) + SIMILARITY_WEIGHT·KL(teacher ‖ student) over the
    in-batch similarity distributions (softmax of t·tᵀ/τ and v·vᵀ/τ, diagonal masked): the last term
    shapes the student's own space, where retrieval happens, not only its image under R."""
    pred = torch.nn.functional.normalize(model.R(v), dim=-1)
    cos = (pred * target).sum(-1)
    logits = pred @ target.T / 0.05
    contrastive = torch.nn.functional.cross_entropy(logits, torch.arange(len(v)))
    eye = torch.eye(len(v), dtype=torch.bool)
    teacher = torch.softmax((target @ target.T / 0.05).masked_fill(eye, -1e9), dim=-1)
    student = torch.log_softmax((v @ v.T / 0.05).masked_fill(eye, -1e9), dim=-1)
    similarity = torch.nn.functional.kl_div(student, teacher, reduction="batchmean")
    return (1 - cos).mean() + 0.1 * contrastive + SIMILARITY_WEIGHT * similarity, cos


def train(kind, modes, data, held, vectors, dim, epochs, seed):
    torch.manual_seed(seed)
    model = Aggregator(kind, modes, dim)
    ids, mask, head, w_all, b_all, target = data
    with torch.no_grad():  # R starts as the least-squares map from mean vectors to the teacher
        e = vectors[ids[:4096]]
        v = torch.nn.functional.normalize((w_all[ids[:4096]] * mask[:4096])[..., None].mul(e).sum(1), dim=-1)
        model.R.weight.copy_(torch.linalg.lstsq(v, target[:4096]).solution.T)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    n = len(ids)
    for epoch in range(epochs):
        perm = torch.randperm(n)
        total = 0.0
        for start in range(0, n, 256):
            idx = perm[start:start + 256]
            bi = ids[idx]
            v = model(vectors[bi], w_all[bi], b_all[bi], head[idx], mask[idx])
            loss, _ = loss_fn(v, model, target[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        print(f"  {kind} modes {modes} epoch {epoch + 1}: loss {total / n:.4f}", file=sys.stderr)
    hid, hmask, hhead, htarget = held
    with torch.no_grad():
        v = model(vectors[hid], w_all[hid], b_all[hid], hhead, hmask)
        _, cos = loss_fn(v, model, htarget)
    return model, float(cos.mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", default="fixtures")
    ap.add_argument("--base", default="fixtures/quiver-256d-pq.qvm")
    ap.add_argument("--buckets", default=None, help="pos_buckets.py output (default WORK/pos.npy)")
    ap.add_argument("--train", type=int, default=40000)
    ap.add_argument("--held", type=int, default=4000)
    ap.add_argument("--epochs", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--similarity-weight", type=float, default=SIMILARITY_WEIGHT,
                    help="weight of the in-batch similarity-distribution term (0: the teacher-map loss alone)")
    args = ap.parse_args()
    globals()["SIMILARITY_WEIGHT"] = args.similarity_weight
    torch.set_num_threads(2)
    os.makedirs(args.work, exist_ok=True)
    base = read_model(args.base)
    dim = base["dim"]
    buckets = np.load(args.buckets or os.path.join(args.work, "pos.npy"))
    with open(os.path.join(args.work, "base.model"), "wb") as f:
        f.write(base["tokenizer"])
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.work, "base.model"))
    train_texts = texts_of(args.corpus, "train", args.train, args.seed)
    held_texts = texts_of(args.corpus, "test", args.held, args.seed)
    t_train = torch.tensor(teacher_embeddings(train_texts, os.path.join(args.work, f"teacher-train-{len(train_texts)}.npy")))
    t_held = torch.tensor(teacher_embeddings(held_texts, os.path.join(args.work, f"teacher-held-{len(held_texts)}.npy")))
    vectors = torch.tensor(base["vectors"])
    weights = torch.tensor(base["weights"].astype(np.float32))
    btensor = torch.tensor(buckets.astype(np.int64))
    ids, mask, head = map(torch.tensor, batch_arrays(train_texts, sp, base["weights"], buckets))
    hid, hmask, hhead = map(torch.tensor, batch_arrays(held_texts, sp, base["weights"], buckets))
    data = (ids, mask, head, weights, btensor, t_train)
    held = (hid, hmask, hhead, t_held)
    variants = [("mean", "mean", 0), ("fusion", "fusion", 0)] + [(name, "stateful", m) for name, m in aggregators.MODES.items()]
    report = {}
    for name, kind, modes in variants:
        t0 = time.time()
        model, agreement = train(kind, modes, data, held, vectors, dim, args.epochs, args.seed)
        report[name] = {"teacher_cosine_held_out": agreement, "seconds": time.time() - t0}
        print(f"{name}: held-out cosine with the teacher (through R) {agreement:.4f}", file=sys.stderr)
        if kind == "mean":
            continue
        path = os.path.join(args.work, f"quiver-256d-pq-{name.replace('+', '-')}.qvm")
        meta = dict(base["metadata"], name=os.path.basename(path), aggregator=name,
                    trained_on=f"{len(train_texts)} train-split texts",
                    loss=f"1 - cos(Rv, t) + 0.1 InfoNCE(Rv, t; tau 0.05) + {SIMILARITY_WEIGHT} in-batch similarity KL; "
                         "R: a learned 256->384 map, not stored", epochs=args.epochs)
        write_model(path, vocab=base["vocab"], dim=dim, spm_bytes=base["tokenizer"], weights=base["weights"],
                    codebook=base["codebook"], codes=base["codes"],
                    truncatable=bool(base["flags"] & 1), aggregator=kind, aggregator_params=model.export(dim),
                    token_meta=buckets, meta=meta)
        if name in ("fusion", "stateful"):
            os.makedirs(args.out, exist_ok=True)
            out = os.path.join(args.out, f"quiver-256d-pq-{name}.qvm")
            with open(path, "rb") as src, open(out, "wb") as dst:
                dst.write(src.read())
    with open(os.path.join(args.work, "train-report.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
