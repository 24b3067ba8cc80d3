#!/usr/bin/env python3
"""Throughput of the Python package's `Model.embed` against Model2Vec's `encode` on the same texts,
in one run: the fixture corpus's sentences, each library given the whole list by one Python thread
(Quiver splits a batch of 64 or more texts over both cores itself; Model2Vec's encode runs on the
calling thread), then by two Python threads each embedding half (both release the GIL in their
native parts); medians and the slower decile of repeated passes, and the ratios of medians.

Model2Vec is given the same token vectors and vocabulary as the Quiver model (embed_peers'
model2vec_twin), mean-pooled — Quiver's model here is the mean-pooling `quiver-256d-pq.qvm`, so
both compute the same thing; the default stateful model is timed too.

  tools/.venv/bin/pip install -r tools/distill/requirements.txt -r tools/bench/requirements.txt ./python
  tools/.venv/bin/python tools/bench/python_embed.py --json
"""
import argparse
import json
import os
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "distill"))
from embed_peers import model2vec_twin, sentences  # noqa: E402
from reference import ReferenceEmbedder  # noqa: E402

import quiver  # noqa: E402


def timed(fn, passes):
    """Seconds of each pass of fn()."""
    fn()
    out = []
    for _ in range(passes):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return np.array(out)


def threaded(fn, threads):
    def run():
        workers = [threading.Thread(target=fn) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    return run


def summary(seconds, texts):
    return {"texts_per_second_median": len(texts) / float(np.median(seconds)),
            "texts_per_second_p10": len(texts) / float(np.percentile(seconds, 90)),
            "passes": len(seconds)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="fixtures/quiver-256d-pq.qvm")
    ap.add_argument("--corpus", default="fixtures/debian-descriptions.jsonl")
    ap.add_argument("--passes", type=int, default=15)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    texts = sentences(args.corpus)
    ref = ReferenceEmbedder(args.model)
    m2v, mismatched, agree = model2vec_twin(ref, texts)
    mean_model = quiver.Model(args.model)
    stateful = quiver.Model()
    q_vectors = mean_model.embed(texts[:500])
    m_vectors = m2v.encode(texts[:500])
    report = {"texts": len(texts), "model": args.model, "model2vec_token_id_mismatches_of_2000": mismatched,
              "model2vec_min_cosine_vs_reference": agree,
              "min_cosine_quiver_vs_model2vec": float(np.min((q_vectors * m_vectors).sum(1))), "results": {}}
    runs = {
        "quiver_mean_one_caller": lambda: mean_model.embed(texts),
        "quiver_stateful_one_caller": lambda: stateful.embed(texts),
        "model2vec_one_caller": lambda: m2v.encode(texts, batch_size=1024, use_multiprocessing=False),
    }
    for name, fn in runs.items():
        report["results"][name] = summary(timed(fn, args.passes), texts)
    half = texts[: len(texts) // 2]
    for name, fn in {"quiver_mean_two_callers": lambda: mean_model.embed(half),
                     "model2vec_two_callers": lambda: m2v.encode(half, batch_size=1024, use_multiprocessing=False)}.items():
        report["results"][name] = summary(timed(threaded(fn, 2), args.passes), texts)
    r = report["results"]
    report["ratios"] = {
        "quiver_mean_over_model2vec_one_caller": r["quiver_mean_one_caller"]["texts_per_second_median"] / r["model2vec_one_caller"]["texts_per_second_median"],
        "quiver_stateful_over_model2vec_one_caller": r["quiver_stateful_one_caller"]["texts_per_second_median"] / r["model2vec_one_caller"]["texts_per_second_median"],
        "quiver_mean_over_model2vec_two_callers": r["quiver_mean_two_callers"]["texts_per_second_median"] / r["model2vec_two_callers"]["texts_per_second_median"],
    }
    print(json.dumps(report, indent=None if args.json else 1))


if __name__ == "__main__":
    main()
