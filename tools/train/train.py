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

With --pairs N the token vectors are trained too (the default model, docs/quality.md): besides
the teacher loss, a symmetric in-batch InfoNCE between the aggregated short and long descriptions
of N train-split packages (the hybrid validation slice of tools/eval/heldout.py left out) and, with
--wordnet-pairs M, between M WordNet lemmas and their definitions (the phrase test of evaluate.py
and its validation twin left out), each also at the --mrl truncations; the trained vectors are then
re-quantised (PQ, the base model's M and K) and the file is named …-trained-vectors.qvm.

  tools/.venv/bin/pip install -r tools/train/requirements.txt
  python3 tools/train/pos_buckets.py fixtures/debian-unigram-32k.model --out /tmp/train/pos.npy
  tools/.venv/bin/python tools/train/train.py --corpus /tmp/corpus/descriptions.jsonl --work /tmp/train --out fixtures \
      --train 30000 --held 3000 --epochs 16   # ~17 min of teacher passes (cached in --work), ~3 min of training
  tools/.venv/bin/python tools/train/train.py --corpus /tmp/corpus/descriptions.jsonl --work /tmp/train --out fixtures \
      --train 30000 --held 3000 --epochs 5 --variants stateful --pairs 40000 --wordnet-pairs 60000
      # the default model: ~11 min of training and ~1 min of re-quantising after the teacher passes
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
sys.path.insert(0, os.path.join(HERE, "..", "eval"))
import aggregators  # noqa: E402
import pq  # noqa: E402
from heldout import validation  # noqa: E402
from evaluate import WORDNET, phrase_set  # noqa: E402
from model_file import read_model, write_model  # noqa: E402

L = 64          # live tokens per text in training (longer texts are cut)
L_DOC = 128     # live tokens per long description in the pair loss
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


def pairs_of(corpus, limit, seed, validation_count=2000):
    """(short, long) description pairs of train-split packages, the validation slice excluded
    (tools/eval/heldout.py: the first validation_count train packages the teacher-text sample never
    drew), so hybrid settings chosen on that slice stay chosen on unseen packages."""
    excluded = {r["package"] for r in validation(corpus, validation_count)}
    out = [(r["short"], r["long"]) for r in map(json.loads, open(corpus, encoding="utf-8"))
           if r["split"] == "train" and r["package"] not in excluded and r["long"].strip()]
    rng = np.random.default_rng(seed)
    rng.shuffle(out)
    return out[:limit]


def wordnet_pairs(limit, seed, root=WORDNET):
    """(lemma, definition) pairs of WordNet 3.0's synsets, every part of speech — general English
    beside the Debian pairs — with every phrase and gloss of the phrase test and of its validation
    twin (tools/train/evaluate.py) left out, so neither is trained on."""
    excluded = {x for name in ("heldout", "validation") for pair in phrase_set(name) for x in pair}
    out = []
    for pos in ("noun", "verb", "adj", "adv"):
        with open(os.path.join(root, f"data.{pos}"), encoding="latin-1") as f:
            for line in f:
                if line.startswith(" ") or "|" not in line:
                    continue
                head, gloss = line.split("|", 1)
                definition = gloss.split(";")[0].strip()
                if not definition or definition in excluded:
                    continue
                fields = head.split()
                for i in range(int(fields[3], 16)):
                    lemma = fields[4 + 2 * i].split("(")[0].replace("_", " ")
                    if lemma not in excluded:
                        out.append((lemma, definition))
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


def batch_arrays(texts, sp, weights, buckets, length=L):
    """Live ids (padded with 0), mask, and for each position its head's index and distance."""
    n = len(texts)
    ids = np.zeros((n, length), dtype=np.int64)
    mask = np.zeros((n, length), dtype=np.float32)
    head = np.full((n, length), -1, dtype=np.int64)
    for i, t in enumerate(texts):
        live = [x for x in sp.encode(t) if weights[x] != 0][:length]
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


PAIR_WEIGHT = 1.0
GENERAL_WEIGHT = 1.0
MRL_DIMS = (128, 64)


def pair_loss(q, d):
    """Symmetric in-batch InfoNCE (τ = 0.05) between queries and their documents, at full width and
    at each MRL truncation (leading components, renormalised), so truncated outputs stay usable."""
    total = 0.0
    labels = torch.arange(len(q))
    for k in (None,) + MRL_DIMS:
        a = q if k is None else torch.nn.functional.normalize(q[:, :k], dim=-1)
        b = d if k is None else torch.nn.functional.normalize(d[:, :k], dim=-1)
        logits = a @ b.T / 0.05
        total = total + 0.5 * (torch.nn.functional.cross_entropy(logits, labels)
                               + torch.nn.functional.cross_entropy(logits.T, labels)) * (1.0 if k is None else 0.5)
    return total


def sampled_pair_loss(model, vectors, w_all, b_all, pairs, size=256):
    """pair_loss over `size` pairs drawn from `pairs` ((ids, mask, head) of each side); also the
    token ids the two sides used."""
    (ai, am, ah), (bi, bm, bh) = pairs
    pick = torch.randint(len(ai), (size,))
    a = model(vectors[ai[pick]], w_all[ai[pick]], b_all[ai[pick]], ah[pick], am[pick])
    b = model(vectors[bi[pick]], w_all[bi[pick]], b_all[bi[pick]], bh[pick], bm[pick])
    return pair_loss(a, b), [ai[pick].flatten(), bi[pick].flatten()]


def train(kind, modes, data, held, vectors, dim, epochs, seed, pairs=None, anchor=0.0, general=None):
    """pairs: None (token vectors frozen), or (query arrays, document arrays) of train-split pairs —
    then the token vectors are trained too, by the teacher loss plus PAIR_WEIGHT · pair_loss, with
    anchor · mean squared distance to the starting vectors."""
    torch.manual_seed(seed)
    model = Aggregator(kind, modes, dim)
    ids, mask, head, w_all, b_all, target = data
    with torch.no_grad():  # R starts as the least-squares map from mean vectors to the teacher
        e = vectors[ids[:4096]]
        v = torch.nn.functional.normalize((w_all[ids[:4096]] * mask[:4096])[..., None].mul(e).sum(1), dim=-1)
        model.R.weight.copy_(torch.linalg.lstsq(v, target[:4096]).solution.T)
    start = vectors
    params = list(model.parameters())
    if pairs is not None:
        vectors = torch.nn.Parameter(vectors.clone())
        params.append(vectors)
    opt = torch.optim.Adam(params, lr=3e-3)
    n = len(ids)
    for epoch in range(epochs):
        perm = torch.randperm(n)
        total = 0.0
        for start_row in range(0, n, 256):
            idx = perm[start_row:start_row + 256]
            bi = ids[idx]
            v = model(vectors[bi], w_all[bi], b_all[bi], head[idx], mask[idx])
            loss, _ = loss_fn(v, model, target[idx])
            if pairs is not None:
                pair_term, pair_ids = sampled_pair_loss(model, vectors, w_all, b_all, pairs)
                loss = loss + PAIR_WEIGHT * pair_term
                if general is not None:
                    loss = loss + GENERAL_WEIGHT * sampled_pair_loss(model, vectors, w_all, b_all, general)[0]
                if anchor > 0:
                    touched = torch.unique(torch.cat([bi.flatten()] + pair_ids))
                    loss = loss + anchor * ((vectors[touched] - start[touched]) ** 2).sum(-1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        print(f"  {kind} modes {modes} epoch {epoch + 1}: loss {total / n:.4f}", file=sys.stderr)
    hid, hmask, hhead, htarget = held
    with torch.no_grad():
        v = model(vectors[hid], w_all[hid], b_all[hid], hhead, hmask)
        _, cos = loss_fn(v, model, htarget)
    return model, float(cos.mean()), vectors.detach()


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
    ap.add_argument("--variants", default="mean,fusion," + ",".join(aggregators.MODES),
                    help="which variants to train (comma-separated)")
    ap.add_argument("--pairs", type=int, default=0,
                    help="train the token vectors too, on this many train-split (short, long) pairs "
                         "besides the teacher loss (0: token vectors frozen); the result is re-quantised")
    ap.add_argument("--pair-weight", type=float, default=PAIR_WEIGHT)
    ap.add_argument("--anchor", type=float, default=0.0,
                    help="weight of the squared distance of trained token vectors to the starting ones")
    ap.add_argument("--mrl", default="128,64", help="truncations the pair loss also trains (leading dims)")
    ap.add_argument("--wordnet-pairs", type=int, default=0,
                    help="with --pairs: also this many WordNet (lemma, definition) pairs, general English "
                         "(the phrase test's phrases and glosses, and its validation twin's, left out)")
    ap.add_argument("--general-weight", type=float, default=GENERAL_WEIGHT)
    args = ap.parse_args()
    globals()["SIMILARITY_WEIGHT"] = args.similarity_weight
    globals()["PAIR_WEIGHT"] = args.pair_weight
    globals()["GENERAL_WEIGHT"] = args.general_weight
    globals()["MRL_DIMS"] = tuple(int(x) for x in args.mrl.split(",") if x)
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
    pairs = None
    if args.pairs:
        chosen = pairs_of(args.corpus, args.pairs, args.seed)
        q = tuple(map(torch.tensor, batch_arrays([a for a, _ in chosen], sp, base["weights"], buckets)))
        d = tuple(map(torch.tensor, batch_arrays([b for _, b in chosen], sp, base["weights"], buckets, L_DOC)))
        pairs = (q, d)
        print(f"{len(chosen)} train-split pairs; token vectors trained", file=sys.stderr)
    general = None
    if args.pairs and args.wordnet_pairs:
        chosen = wordnet_pairs(args.wordnet_pairs, args.seed)
        general = (tuple(map(torch.tensor, batch_arrays([a for a, _ in chosen], sp, base["weights"], buckets, 16))),
                   tuple(map(torch.tensor, batch_arrays([b for _, b in chosen], sp, base["weights"], buckets))))
        print(f"{len(chosen)} WordNet pairs", file=sys.stderr)
    wanted = set(args.variants.split(","))
    variants = [("mean", "mean", 0), ("fusion", "fusion", 0)] + [(name, "stateful", m) for name, m in aggregators.MODES.items()]
    variants = [v for v in variants if v[0] in wanted]
    report = {}
    for name, kind, modes in variants:
        t0 = time.time()
        model, agreement, trained = train(kind, modes, data, held, vectors, dim, args.epochs, args.seed, pairs, args.anchor,
                                          general)
        report[name] = {"teacher_cosine_held_out": agreement, "seconds": time.time() - t0}
        codebook, codes = base["codebook"], base["codes"]
        if pairs is not None:
            t1 = time.time()
            flat = trained.numpy().astype(np.float32)
            codebook = pq.train_pq(flat, base["m"], base["k"], seed=args.seed)
            codes = pq.encode_pq(flat, codebook)
            error = np.linalg.norm(flat - np.concatenate([codebook[j][codes[:, j]] for j in range(codebook.shape[0])], axis=1)) / np.linalg.norm(flat)
            report[name].update(pq_relative_error=float(error), pq_seconds=time.time() - t1)
            print(f"  re-quantised (M = {base['m']}): relative error {error:.3f}", file=sys.stderr)
        print(f"{name}: held-out cosine with the teacher (through R) {agreement:.4f}", file=sys.stderr)
        if kind == "mean" and pairs is None:
            continue
        suffix = "-trained-vectors" if pairs is not None else ""
        path = os.path.join(args.work, f"quiver-256d-pq-{name.replace('+', '-')}{suffix}.qvm")
        meta = dict(base["metadata"], name=os.path.basename(path), aggregator=name,
                    trained_on=f"{len(train_texts)} train-split texts"
                    + (f" and {args.pairs} train-split (short, long) pairs; token vectors trained, "
                       f"MRL {args.mrl}, anchor {args.anchor}" if pairs is not None else "")
                    + (f", and {args.wordnet_pairs} WordNet (lemma, definition) pairs" if general is not None else ""),
                    loss=f"1 - cos(Rv, t) + 0.1 InfoNCE(Rv, t; tau 0.05) + {SIMILARITY_WEIGHT} in-batch similarity KL"
                         + (f" + {PAIR_WEIGHT} symmetric InfoNCE(short, long; tau 0.05) at full width and 0.5 x at {args.mrl} dims"
                            if pairs is not None else "")
                         + (f" + {GENERAL_WEIGHT} the same on WordNet pairs" if general is not None else "") + "; R: a learned 256->384 map, not stored", epochs=args.epochs)
        write_model(path, vocab=base["vocab"], dim=dim, spm_bytes=base["tokenizer"], weights=base["weights"],
                    codebook=codebook, codes=codes,
                    truncatable=bool(base["flags"] & 1), aggregator=kind,
                    aggregator_params=b"" if kind == "mean" else model.export(dim),
                    token_meta=buckets, meta=meta)
        if name in ("fusion", "stateful"):
            os.makedirs(args.out, exist_ok=True)
            out = os.path.join(args.out, os.path.basename(path))
            with open(path, "rb") as src, open(out, "wb") as dst:
                dst.write(src.read())
    with open(os.path.join(args.work, "train-report.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
