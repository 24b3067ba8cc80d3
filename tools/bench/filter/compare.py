#!/usr/bin/env python3
"""Filtered search: Quiver against FAISS's IndexHNSWFlat with an IDSelectorBitmap (a C++ filter,
no per-node Python callback), on the same vectors, queries and allowed rows, in one run.

Runs `quiver-bench filter --json --dump DIR` first (which builds a real store from the vectors and
the metadata, and writes each filter's allowed rows as a mask), then builds FAISS's HNSW (M = 16,
efConstruction = 200, inner product on unit vectors, like Quiver's) and searches it with every mask
at each ef, single-threaded (one batch call per ef: no Python per query). Recall@10 is against the
exact filtered answer computed here with numpy. Prints the comparison the issue asks for and
writes the JSON and a plot.

  tools/.venv/bin/pip install -r tools/bench/filter/requirements.txt
  tools/.venv/bin/python tools/bench/filter/compare.py --name debian \
      --base /tmp/ann-debian-base.npy --queries /tmp/ann-debian-queries.npy \
      --metadata /tmp/corpus/descriptions.jsonl --filters tools/bench/filter/debian-filters.json \
      --quiver-bench .build/release/quiver-bench --out /tmp/filter-debian.json --plot docs/filters-debian.png
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np

EFS = [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]


def exact_filtered(base, queries, mask, k=10):
    rows = np.flatnonzero(mask)
    out = []
    sub = base[rows]
    for q in queries:
        s = sub @ q
        top = np.argpartition(-s, min(k, len(s) - 1))[:k] if len(s) > k else np.arange(len(s))
        out.append(set(rows[top[np.argsort(-s[top])]].tolist()))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--metadata")
    ap.add_argument("--filters")
    ap.add_argument("--limit", type=int, default=500)
    ap.add_argument("--quiver-bench", default=".build/release/quiver-bench")
    ap.add_argument("--out", required=True)
    ap.add_argument("--plot")
    args = ap.parse_args()

    import faiss
    faiss.omp_set_num_threads(1)
    masks_dir = tempfile.mkdtemp(prefix="quiver-filter-masks-")
    cmd = [args.quiver_bench, "filter", "--base", args.base, "--queries", args.queries, "--limit", str(args.limit),
           "--ef", ",".join(map(str, EFS)), "--dump", masks_dir, "--json"]
    if args.metadata:
        cmd += ["--metadata", args.metadata]
    if args.filters:
        cmd += ["--filters", args.filters]
    t = time.perf_counter()
    quiver = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    print(f"quiver-bench filter: {time.perf_counter() - t:.0f} s (store ingest with graph {quiver['ingest_seconds']:.1f} s)")

    base = np.load(args.base).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    queries = np.load(args.queries).astype(np.float32)[: args.limit]
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    n, d = base.shape
    index = faiss.IndexHNSWFlat(d, 16, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 200
    faiss.omp_set_num_threads(2)
    t = time.perf_counter()
    index.add(base)
    build = time.perf_counter() - t
    faiss.omp_set_num_threads(1)
    print(f"faiss IndexHNSWFlat build (2 threads): {build:.1f} s")

    report = {"name": args.name, "rows": n, "dimension": d, "queries": len(queries), "faiss_build_seconds": build,
              "quiver": quiver, "faiss": []}
    print(f"{'filter':30} {'pass %':>7} | {'faiss best ≥0.95':>22} | {'quiver store ≥0.95':>22} | {'store, ids only':>22} | {'quiver walk ≥0.95':>22} | {'quiver exact':>12} | ratio store, ids, walk")
    for f in quiver["filters"]:
        mask = np.load(os.path.join(masks_dir, f["name"] + ".npy")).astype(bool)
        truth = exact_filtered(base, queries, mask)
        bitmap = np.packbits(mask, bitorder="little")
        sel = faiss.IDSelectorBitmap(n, faiss.swig_ptr(bitmap))
        rows = []
        for ef in EFS:
            params = faiss.SearchParametersHNSW(efSearch=ef, sel=sel)
            index.search(queries[:20], 10, params=params)  # warm
            t = time.perf_counter()
            _, found = index.search(queries, 10, params=params)
            seconds = time.perf_counter() - t
            want = min(10, int(mask.sum()))
            recall = float(np.mean([len(set(x for x in row if x >= 0) & tr) / want for row, tr in zip(found, truth)]))
            with_k = int(sum((row >= 0).sum() == want for row in found))
            rows.append({"ef": ef, "recall_at_10": recall, "per_second": len(queries) / seconds, "queries_with_k": with_k})
        report["faiss"].append({"name": f["name"], "selectivity": f["selectivity"], "hnsw": rows})
        fb = max((r for r in rows if r["recall_at_10"] >= 0.95), key=lambda r: r["per_second"], default=None)
        qb = max((r for r in f["hnsw"] if r["recall_at_10"] >= 0.95), key=lambda r: r["per_second"], default=None)
        wb = max((r for r in f["walk_only"] if r["recall_at_10"] >= 0.95), key=lambda r: r["per_second"], default=None)
        ib = max(({"ef": r["ef"], "per_second": r["ids_only_per_second"]} for r in f["hnsw"] if r["recall_at_10"] >= 0.95),
                 key=lambda r: r["per_second"], default=None)
        ex = f["exact"]["per_second"]

        def cell(r):
            return f"{r['per_second']:8.0f} q/s ef {r['ef']:3d}" if r else "   never ≥ 0.95     "

        ratio = (qb["per_second"] / fb["per_second"]) if (fb and qb) else (qb["per_second"] / ex if qb else 0)
        walk_ratio = (wb["per_second"] / fb["per_second"]) if (fb and wb) else float("nan")
        basis = "vs faiss" if fb else "vs own exact"
        ids_ratio = (ib["per_second"] / fb["per_second"]) if (fb and ib) else float("nan")
        print(f"{f['name']:30} {100 * f['selectivity']:7.2f} | {cell(fb):>22} | {cell(qb):>22} | {cell(ib):>22} | {cell(wb):>22} | {ex:8.0f} q/s | {ratio:.2f}×, {ids_ratio:.2f}×, {walk_ratio:.2f}× {basis}")
    with open(args.out, "w") as out:
        json.dump(report, out, indent=1)
    if args.plot:
        plot(report, args.plot)


def plot(report, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    filters = report["quiver"]["filters"]
    fig, axes = plt.subplots(1, len(filters), figsize=(2.6 * len(filters), 2.8), sharey=True)
    for ax, qf, ff in zip(axes, filters, report["faiss"]):
        ax.plot([r["recall_at_10"] for r in qf["hnsw"]], [r["per_second"] for r in qf["hnsw"]], "o-", label="Quiver", color="tab:blue")
        ax.plot([r["recall_at_10"] for r in ff["hnsw"]], [r["per_second"] for r in ff["hnsw"]], "s-", label="FAISS HNSW + bitmap", color="tab:green")
        ax.axhline(qf["exact"]["per_second"], color="tab:gray", ls="--", lw=1, label="Quiver exact scan")
        ax.axvline(0.95, color="tab:red", ls=":", lw=1)
        ax.set_title(f"{qf['name']}\n{100 * qf['selectivity']:.2f} % pass", fontsize=7)
        ax.set_xlabel("recall@10", fontsize=7)
        ax.set_yscale("log")
        ax.tick_params(labelsize=6)
    axes[0].set_ylabel("queries/s (1 thread)", fontsize=7)
    axes[0].legend(fontsize=6)
    fig.suptitle(f"{report['name']}: {report['rows']:,} × {report['dimension']}", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


if __name__ == "__main__":
    main()
