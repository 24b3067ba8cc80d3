#!/usr/bin/env python3
"""Embedding speed of Quiver against its numpy reference and Model2Vec, in one run, on the same
real sentences (the fixture corpus, split as `quiver-bench embed` splits it).

Model2Vec is given the same float token vectors (decoded from the Quiver model file, weights folded
in) and the same vocabulary, converted by `tokenizers`' SentencePieceUnigramTokenizer.from_spm; the
script checks that its token ids equal SentencePiece's before timing anything.

  swift build -c release
  tools/.venv/bin/python tools/bench/embed_peers.py --quiver .build/release/quiver
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "distill"))
from reference import ReferenceEmbedder  # noqa: E402


def sentences(corpus):
    out = []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            short = (r.get("metadata") or {}).get("short")
            if short:
                out.append(short)
            for paragraph in r["text"].split("\n"):
                out += [s for s in paragraph.split(". ") if len(s) >= 3]
    return out


def latencies(fn, texts, passes):
    fn(texts[0])
    samples = []
    for _ in range(passes):
        for t in texts:
            t0 = time.perf_counter_ns()
            fn(t)
            samples.append((time.perf_counter_ns() - t0) / 1000)
    s = np.array(samples)
    return {"per_second": len(s) / (s.sum() / 1e6), "p50_us": float(np.percentile(s, 50)),
            "p99_us": float(np.percentile(s, 99)), "p999_us": float(np.percentile(s, 99.9))}


def model2vec_twin(ref, texts):
    """A Model2Vec StaticModel with the Quiver model's float token vectors (weights folded in) and
    its vocabulary (tokenizers' SentencePieceUnigramTokenizer.from_spm), and two checks: token-id
    mismatches against SentencePiece on the first 2,000 texts, and the least cosine between the
    two models' vectors of the first 200."""
    from model2vec import StaticModel
    from tokenizers.implementations import SentencePieceUnigramTokenizer
    from sentencepiece import sentencepiece_model_pb2  # shipped by the sentencepiece wheel
    sys.modules.setdefault("sentencepiece_model_pb2", sentencepiece_model_pb2)  # where from_spm looks
    sp = ref.sp
    with tempfile.NamedTemporaryFile(suffix=".model", delete=False) as f:
        f.write(ref.model["tokenizer"])
    hf = SentencePieceUnigramTokenizer.from_spm(f.name)._tokenizer
    os.unlink(f.name)
    mismatched = sum(hf.encode(t, add_special_tokens=False).ids != sp.encode(t) for t in texts[:2000])
    vectors = ref.vectors * ref.weights[:, None]
    m2v = StaticModel(vectors=vectors.astype(np.float32), tokenizer=hf, normalize=True)
    probe = m2v.encode(texts[:200])
    agree = float(np.min((probe * ref.embed(texts[:200])).sum(1)))
    return m2v, mismatched, agree


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quiver", default=".build/release/quiver")
    ap.add_argument("--model", default="fixtures/quiver-256d-pq.qvm")
    ap.add_argument("--corpus", default="fixtures/debian-descriptions.jsonl")
    ap.add_argument("--passes", type=int, default=1)
    args = ap.parse_args()
    texts = sentences(args.corpus)

    quiver = json.loads(subprocess.run([args.quiver, "bench", "embed", "--model", args.model, "--sentences",
                                        args.corpus, "--json"], check=True, capture_output=True).stdout)

    ref = ReferenceEmbedder(args.model)
    sp = ref.sp
    short = [t for t in texts if len(sp.encode(t)) <= 32]  # the targets are for ≤ 32 tokens
    tok = latencies(lambda t: sp.encode(t), texts, args.passes)
    reference = latencies(lambda t: ref.embed_ids(sp.encode(t)), texts, args.passes)
    t0 = time.perf_counter()
    for t in texts:
        ref.embed_ids(sp.encode(t))
    reference["batch_per_second"] = len(texts) / (time.perf_counter() - t0)
    reference["le32_tokens"] = latencies(lambda t: ref.embed_ids(sp.encode(t)), short, args.passes)

    m2v, mismatched, agree = model2vec_twin(ref, texts)
    m2v_single = latencies(lambda t: m2v.encode([t]), texts, args.passes)
    t0 = time.perf_counter()
    m2v.encode(texts, batch_size=1024)
    m2v_single["batch_per_second"] = len(texts) / (time.perf_counter() - t0)
    m2v_single["le32_tokens"] = latencies(lambda t: m2v.encode([t]), short, args.passes)

    import model2vec
    report = {
        "sentences": len(texts),
        "le32_sentences": len(short),
        "quiver": quiver,
        "numpy_reference": reference,
        "sentencepiece_python_encode": tok,
        "model2vec": dict(m2v_single, version=model2vec.__version__, token_id_mismatches_of_2000=mismatched,
                          min_cosine_vs_reference=agree),
        "ratios": {
            "p50_model2vec_over_quiver": m2v_single["p50_us"] / quiver["p50_us"],
            "p999_model2vec_over_quiver": m2v_single["p999_us"] / quiver["p999_us"],
            "batch_quiver_2_threads_over_model2vec": quiver["batch_2_threads_per_second"] / m2v_single["batch_per_second"],
            "throughput_quiver_over_reference": quiver["per_second"] / reference["per_second"],
            "le32_p50_model2vec_over_quiver": m2v_single["le32_tokens"]["p50_us"] / quiver["le32_tokens_p50_us"],
            "le32_throughput_quiver_over_reference":
                quiver["le32_tokens_per_second"] / reference["le32_tokens"]["per_second"],
        },
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
