#!/usr/bin/env python3
"""The aggregator ablation of docs/quality.md, on held-out data only, through the numpy reference
(tools/distill/reference.py, which the Swift code agrees with to cosine ≥ 0.9999):

- the Debian retrieval task (tools/eval/retrieval.py: test-split short description → long
  description, 5,000 packages): Recall@1, Recall@10, MRR@10;
- the WordNet phrase test: --phrases multi-word noun lemmas of WordNet 3.0 (index.noun, 2–3 words,
  sampled with --seed), each a query for its most frequent sense's gloss (data.noun) among all their
  glosses: Recall@10; and order sensitivity, the mean cosine of each phrase with its words reversed
  (lower: the embedding hears word order);
- the held-out teacher agreement measured by train.py (train-report.json).

  tools/.venv/bin/python tools/train/evaluate.py --corpus /tmp/corpus/descriptions.jsonl --work /tmp/train \
      mean=fixtures/quiver-256d-pq.qvm fusion=/tmp/train/quiver-256d-pq-fusion.qvm ...
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "distill"))
sys.path.insert(0, os.path.join(HERE, "..", "eval"))
from reference import ReferenceEmbedder  # noqa: E402
from retrieval import held_out, metrics  # noqa: E402
import heldout  # noqa: E402

WORDNET = "/usr/share/wordnet"


def phrases(count, seed, root=WORDNET, exclude=frozenset()):
    """(phrase, gloss) for multi-word noun lemmas, each with the gloss of its first (most frequent)
    sense; phrases or glosses in `exclude` are skipped."""
    offsets = {}
    with open(os.path.join(root, "index.noun"), encoding="latin-1") as f:
        for line in f:
            if line.startswith(" "):
                continue
            parts = line.split()
            lemma = parts[0]
            words = lemma.split("_")
            if not 2 <= len(words) <= 3 or not all(w.isalpha() for w in words):
                continue
            synsets = int(parts[2])
            offsets[lemma] = parts[-synsets]
    glosses = {}
    wanted = set(offsets.values())
    with open(os.path.join(root, "data.noun"), encoding="latin-1") as f:
        for line in f:
            if line[:8] in wanted:
                glosses[line[:8]] = line.split("|", 1)[1].strip()
    lemmas = sorted(offsets)
    rng = np.random.default_rng(seed)
    picked, seen = [], set()
    for i in rng.permutation(len(lemmas)):
        lemma = lemmas[i]
        gloss = glosses.get(offsets[lemma])
        if not gloss or gloss in seen:
            continue
        phrase, definition = lemma.replace("_", " "), gloss.split(";")[0].strip()
        if phrase in exclude or definition in exclude:
            continue
        seen.add(gloss)
        picked.append((phrase, definition))
        if len(picked) == count:
            break
    return picked


HELD_OUT_SEED, VALIDATION_SEED = 7, 8


def phrase_set(name, count=2000):
    """The held-out phrase test (seed 7, reported) or its validation twin (seed 8, disjoint from it
    in phrases and glosses; settings are chosen on it)."""
    held = phrases(count, HELD_OUT_SEED)
    if name == "heldout":
        return held
    return phrases(count, VALIDATION_SEED, exclude=frozenset(x for pair in held for x in pair))


def unit_rows(x):
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--phrases", type=int, default=2000)
    ap.add_argument("--debian-set", choices=["heldout", "validation"], default="heldout",
                    help="the 5,000 held-out packages (reported) or the validation slice (tools/eval/heldout.py; chosen on)")
    ap.add_argument("--phrase-set", choices=["heldout", "validation"], default="heldout",
                    help="the reported phrase test (seed 7) or its disjoint validation twin (seed 8)")
    ap.add_argument("models", nargs="+", help="NAME=PATH")
    args = ap.parse_args()
    rows = held_out(args.corpus, args.count) if args.debian_set == "heldout" else heldout.validation(args.corpus, args.count)
    queries = [r["short"] for r in rows]
    docs = [r["long"].replace("\n", " ") for r in rows]
    pairs = phrase_set(args.phrase_set, args.phrases)
    report_path = os.path.join(args.work, "train-report.json")
    trained = json.load(open(report_path)) if os.path.exists(report_path) else {}
    results = {}
    for spec in args.models:
        name, path = spec.split("=", 1)
        m = ReferenceEmbedder(path)
        r = metrics(m.embed(queries) @ m.embed(docs).T)
        p = m.embed([a for a, _ in pairs])
        g = m.embed([b for _, b in pairs])
        ranks = (unit_rows(p) @ unit_rows(g).T)
        phrase_r10 = float(np.mean([(ranks[i] > ranks[i, i]).sum() < 10 for i in range(len(pairs))]) * 100)
        reversed_ = m.embed([" ".join(a.split()[::-1]) for a, _ in pairs])
        order = float(np.mean((unit_rows(p) * unit_rows(reversed_)).sum(1)))
        results[name] = dict(r, phrase_R10=phrase_r10, order_cosine=order,
                             teacher_cosine=trained.get(name, {}).get("teacher_cosine_held_out"))
        print(name, json.dumps(results[name]), file=sys.stderr, flush=True)
    print(f"{len(rows)} packages ({args.debian_set}), {len(pairs)} WordNet phrases ({args.phrase_set})")
    print("| aggregator | R@1 | R@10 | MRR@10 | phrase R@10 | order cosine (lower hears order) | teacher cosine (held out) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, r in results.items():
        t = r["teacher_cosine"]
        print(f"| {name} | {r['R@1']:.1f} | {r['R@10']:.1f} | {r['MRR@10']:.1f} | {r['phrase_R10']:.1f} | "
              f"{r['order_cosine']:.4f} | {'' if t is None else f'{t:.4f}'} |")
    with open(os.path.join(args.work, "ablation.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
