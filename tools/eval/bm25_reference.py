#!/usr/bin/env python3
"""Quiver's lexical scores against a standard BM25 implementation (rank-bm25's BM25Okapi) on the same
token ids and the same idf: every query's top-10 lexical scores must equal the reference's within
float round-off.

Sample: the first 1,000 validation-slice packages (tools/eval/heldout.py) whose long description is
one passage (≤ 128 words), so a document is a passage. Token ids: the SentencePiece ids of the
lower-cased text (Python's sentencepiece; Quiver's own encoder gives the same ids, INV-T3). BM25:
k1 = 0.6, b = 0.75 (what a new store records, `BM25.standard`), idf = ln(1 + (N − df + 0.5)/(df + 0.5)) (Lucene's, the one Quiver uses;
BM25Okapi's own idf differs only in that formula, so `_calc_idf` is overridden).

  tools/eval/.venv/bin/pip install -r tools/eval/requirements.txt
  tools/eval/.venv/bin/python tools/eval/bm25_reference.py --corpus /tmp/corpus/descriptions.jsonl --work /tmp/bm25ref
"""
import argparse
import json
import math
import os
import subprocess
import sys

import sentencepiece as spm
from rank_bm25 import BM25Okapi

sys.path.insert(0, os.path.dirname(__file__))
from heldout import validation, write_task  # noqa: E402

SPACE = " \t\n\r\x0b\x0c"  # the passage splitter's whitespace


class LuceneIdfBM25(BM25Okapi):
    def _calc_idf(self, nd):
        self.idf = {w: math.log(1 + (self.corpus_size - f + 0.5) / (f + 0.5)) for w, f in nd.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--quiver", default=".build/release/quiver")
    ap.add_argument("--model", default="fixtures/quiver-256d-pq-stateful-trained-vectors.qvm")
    ap.add_argument("--spm", default="fixtures/debian-unigram-32k.model")
    ap.add_argument("--count", type=int, default=1000)
    args = ap.parse_args()

    rows = [r for r in validation(args.corpus, 3 * args.count) if len(r["long"].split()) <= 128][:args.count]
    os.makedirs(args.work, exist_ok=True)
    docs = os.path.join(args.work, "docs.jsonl")
    queries = os.path.join(args.work, "queries.txt")
    write_task(rows, docs, queries)
    store = os.path.join(args.work, "store")
    subprocess.run(["rm", "-rf", store], check=True)
    subprocess.run([args.quiver, "ingest", "--store", store, "--model", args.model, "--no-hnsw", docs], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = subprocess.run([args.quiver, "query", "--store", store, "--queries", queries, "--mode", "lexical", "--passages",
                          "-k", "10", "--json"], check=True, capture_output=True, text=True).stdout
    answers = [json.loads(line) for line in out.splitlines()]

    sp = spm.SentencePieceProcessor(model_file=args.spm)
    ids = [sp.encode(r["long"].strip(SPACE).lower(), out_type=int) for r in rows]
    bm25 = LuceneIdfBM25(ids, k1=0.6, b=0.75)
    index = {r["package"]: i for i, r in enumerate(rows)}
    worst, compared, order = 0.0, 0, 0
    for r, a in zip(rows, answers):
        scores = bm25.get_scores(sp.encode(r["short"].lower(), out_type=int))
        top = sorted(range(len(rows)), key=lambda j: -scores[j])[:10]
        got = [(x["id"], x["lexical_score"]) for x in a["results"]]
        for doc, s in got:
            ref = scores[index[doc]]
            worst = max(worst, abs(s - ref) / max(1.0, abs(ref)))
            compared += 1
        # The same scores in the same order (documents of equal score may swap); Quiver prints f32.
        expected = [scores[j] for j in top[:len(got)]]
        if len(got) != min(10, sum(1 for v in scores if v > 0)) or any(
                abs(e - s) > 1e-5 * max(1.0, abs(e)) for e, (_, s) in zip(expected, got)):
            order += 1
    print(json.dumps({"documents": len(rows), "queries": len(answers), "scores_compared": compared,
                      "max_relative_difference": worst, "queries_with_another_top10": order}))
    if worst > 1e-5 or order:
        sys.exit(1)


if __name__ == "__main__":
    main()
