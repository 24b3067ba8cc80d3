"""The evaluation sets of the Debian retrieval task (docs/quality.md), standard library only.

held_out(corpus, n): the first n packages of the *test* split in sha256(name) order — the fixed
held-out set every reported figure uses.
validation(corpus, n): the first n packages of the *train* split in sha256(name) order whose texts
the aggregator training never sampled (tools/train/train.py draws 30,000 train-split texts with
seed 1; a package is excluded when its short description or first paragraph is among them) — the
slice on which settings (hybrid fusion and its weight) are chosen.
"""
import hashlib
import json


def _records(corpus, split):
    with open(corpus, encoding="utf-8") as f:
        out = [r for r in map(json.loads, f) if r["split"] == split]
    out.sort(key=lambda r: hashlib.sha256(r["package"].encode()).hexdigest())
    return out


def held_out(corpus, n):
    return _records(corpus, "test")[:n]


def first_paragraph(record):
    return record["long"].split("\n\n")[0].replace("\n", " ").strip()


def validation(corpus, n, trained_texts=None):
    """trained_texts: the set of texts the aggregators were trained on (default: recomputed as
    tools/train/train.py draws them, which needs numpy)."""
    if trained_texts is None:
        import numpy as np
        texts = []
        for r in map(json.loads, open(corpus, encoding="utf-8")):
            if r["split"] != "train":
                continue
            texts.append(r["short"])
            if first_paragraph(r):
                texts.append(first_paragraph(r))
        rng = np.random.default_rng(1)
        rng.shuffle(texts)
        trained_texts = set(texts[:30000])
    out = []
    for r in _records(corpus, "train"):
        if r["short"] in trained_texts or first_paragraph(r) in trained_texts:
            continue
        out.append(r)
        if len(out) == n:
            break
    return out


def write_task(rows, docs_path, queries_path):
    """Writes the task's documents (ingest-format JSONL: id = package, text = long description) and
    its queries (the short descriptions, one a line, in the same order)."""
    with open(docs_path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"id": r["package"], "text": r["long"]}) + "\n")
    with open(queries_path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(r["short"].replace("\n", " ") + "\n")
