#!/usr/bin/env python3
"""A check on text that is not Debian descriptions: Lee's 50-document similarity set (Lee, Pincombe
& Welsh 2005; news articles from the Australian Broadcasting Corporation, each pair rated by human
judges, averaged to 0–1), as gensim's test data ships it (`lee.cor`, `similarities0-1.txt`).

For every model file (through the numpy reference, tools/distill/reference.py, which the Swift code
matches) and for the teacher: the cosine of each of the 1,225 document pairs, then Pearson's r and
Spearman's ρ against the human ratings. Nothing here was trained or tuned on these documents.

The data comes from gensim's wheel on PyPI (fetched once into --work, not installed):

  tools/.venv/bin/python tools/eval/lee.py --work /tmp/lee \
      mean=fixtures/quiver-256d-pq.qvm stateful=fixtures/quiver-256d-pq-stateful.qvm
"""
import argparse
import glob
import os
import subprocess
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "distill"))
GENSIM = "gensim==4.4.0"
FILES = ("gensim/test/test_data/lee.cor", "gensim/test/test_data/similarities0-1.txt")


def lee_data(work):
    """(documents, 50×50 symmetric human similarity matrix), fetched from gensim's wheel once."""
    os.makedirs(work, exist_ok=True)
    if not all(os.path.exists(os.path.join(work, f)) for f in FILES):
        subprocess.run([sys.executable, "-m", "pip", "download", GENSIM, "--no-deps", "-q", "-d", work], check=True)
        wheel = sorted(glob.glob(os.path.join(work, "gensim-*.whl")))[-1]
        with zipfile.ZipFile(wheel) as z:
            for f in FILES:
                z.extract(f, work)
    docs = [line.strip() for line in open(os.path.join(work, FILES[0]), encoding="latin-1") if line.strip()]
    upper = np.loadtxt(os.path.join(work, FILES[1]))
    assert len(docs) == 50 and upper.shape == (50, 50), (len(docs), upper.shape)
    human = np.triu(upper) + np.triu(upper, 1).T
    return docs, human


def ranks(x):
    order = np.argsort(x, kind="stable")
    r = np.empty(len(x))
    r[order] = np.arange(len(x))
    # average ranks of ties
    for value in np.unique(x):
        tied = x == value
        if tied.sum() > 1:
            r[tied] = r[tied].mean()
    return r


def correlations(embeddings, human):
    e = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    iu = np.triu_indices(len(human), 1)
    cos, judged = (e @ e.T)[iu], human[iu]
    pearson = float(np.corrcoef(cos, judged)[0, 1])
    spearman = float(np.corrcoef(ranks(cos), ranks(judged))[0, 1])
    return pearson, spearman


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", help="name=path.qvm")
    ap.add_argument("--work", required=True)
    ap.add_argument("--no-teacher", action="store_true")
    args = ap.parse_args()
    docs, human = lee_data(args.work)
    rows = []
    if not args.no_teacher:
        from teacher import Teacher
        rows.append(("teacher all-MiniLM-L6-v2 (256-token window)", *correlations(Teacher().encode(docs, batch_size=16), human)))
    from reference import ReferenceEmbedder
    for spec in args.models:
        name, path = spec.split("=", 1)
        rows.append((name, *correlations(ReferenceEmbedder(path).embed(docs), human)))
    print("| model | Pearson r | Spearman ρ |")
    print("| --- | --- | --- |")
    for name, p, s in rows:
        print(f"| {name} | {p:.3f} | {s:.3f} |")


if __name__ == "__main__":
    main()
