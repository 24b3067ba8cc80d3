#!/usr/bin/env python3
"""Quiver's HNSW against hnswlib, FAISS IndexHNSWFlat and USearch on the same vectors and queries,
in one run: build seconds (1 thread), then per ef recall@10 (against an exact scan), single-thread
queries/s and p99 latency. Quiver runs as `quiver-bench ann --json` on the same .npy files.

  tools/.venv/bin/pip install -r tools/bench/ann/requirements.txt
  tools/.venv/bin/python tools/bench/ann/compare.py --base base.npy --queries queries.npy \
      --quiver .build-tuned/release/quiver --out /tmp/ann.json

Data sets used in docs/ann.md: `make-data --kind debian` (the fixture model's embeddings of the
Debian corpus; queries = embedded short descriptions) and `--kind gaussian` (clustered 256-d).
"""
import argparse
import json
import os
import subprocess
import time

import numpy as np

EFS = [16, 32, 64, 128, 256]
COLORS = {"quiver int8 walk": "tab:blue", "quiver": "tab:cyan", "hnswlib": "tab:orange",
          "faiss IndexHNSWFlat": "tab:green", "usearch": "tab:red"}


def recall(found, truth):
    return float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)]))


def timed_queries(fn, queries):
    lat, found = [], []
    for q in queries:
        t = time.perf_counter()
        found.append(fn(q))
        lat.append(time.perf_counter() - t)
    lat = np.array(lat)
    return found, {"per_second": len(lat) / lat.sum(), "p50_us": float(np.percentile(lat, 50) * 1e6),
                   "p99_us": float(np.percentile(lat, 99) * 1e6)}


def median_seconds(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def sweep(search, q, truth):
    """Single-thread search per ef, after one unmeasured pass (as `quiver-bench ann`)."""
    rows = []
    for i, ef in enumerate(EFS):
        if i == 0:
            timed_queries(lambda v: search(v, ef), q)
        found, r = timed_queries(lambda v: search(v, ef), q)
        rows.append(dict(ef=ef, recall_at_10=recall(found, truth), **r))
    return rows


def builds(make, threads):
    """Builds once per thread count; returns the first index and [{threads, seconds}]."""
    first, out = None, []
    for t in threads:
        t0 = time.perf_counter()
        index = make(t)
        out.append({"threads": t, "seconds": time.perf_counter() - t0})
        if first is None:
            first = index
    return first, out


def file_report(save, load, path):
    """Bytes on disk of a saved index and the median time to load it back."""
    save(path)
    size = os.path.getsize(path)
    reopen = median_seconds(lambda: load(path))
    os.unlink(path)
    return {"bytes": size, "reopen_ms": reopen * 1e3}


def run_hnswlib(x, q, truth, m, efc, threads, tmp):
    import hnswlib

    def make(t):
        p = hnswlib.Index(space="ip", dim=x.shape[1])
        p.init_index(max_elements=len(x), M=m, ef_construction=efc, random_seed=42)
        p.add_items(x, num_threads=t)
        return p
    p, b = builds(make, threads)
    p.set_num_threads(1)

    def search(v, ef):
        p.set_ef(ef)
        return p.knn_query(v[None, :], k=10)[0][0]

    def load(path):
        r = hnswlib.Index(space="ip", dim=x.shape[1])
        r.load_index(path, max_elements=len(x))
        return r
    rows = sweep(search, q, truth)
    return {"library": "hnswlib", "build_seconds": b[0]["seconds"], "builds": b, "results": rows,
            **file_report(p.save_index, load, tmp + ".hnswlib")}


def run_faiss(x, q, truth, m, efc, threads, tmp):
    import faiss

    def make(t):
        faiss.omp_set_num_threads(t)
        index = faiss.IndexHNSWFlat(x.shape[1], m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = efc
        index.add(x)
        return index
    index, b = builds(make, threads)
    faiss.omp_set_num_threads(1)

    def search(v, ef):
        index.hnsw.efSearch = ef
        return index.search(v[None, :], 10)[1][0]
    rows = sweep(search, q, truth)
    return {"library": "faiss IndexHNSWFlat", "build_seconds": b[0]["seconds"], "builds": b, "results": rows,
            **file_report(lambda path: faiss.write_index(index, path), faiss.read_index, tmp + ".faiss")}


def run_usearch(x, q, truth, m, efc, threads, tmp):
    from usearch.index import Index

    def make(t):
        index = Index(ndim=x.shape[1], metric="ip", dtype="f32", connectivity=m, expansion_add=efc)
        index.add(np.arange(len(x)), x, threads=t)
        return index
    index, b = builds(make, threads)

    def search(v, ef):
        index.expansion_search = ef
        return index.search(v, 10, threads=1).keys

    # Reopen as a memory-mapped view, USearch's closest equivalent of Quiver's map.
    rows = sweep(search, q, truth)
    return {"library": "usearch", "build_seconds": b[0]["seconds"], "builds": b, "results": rows,
            **file_report(index.save, lambda path: Index.restore(path, view=True), tmp + ".usearch")}


def replot(paths, out, title):
    """Redraw a plot from saved --out reports (one panel per report)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cols = min(2, len(paths))
    rows = (len(paths) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, 4.5 * rows), squeeze=False)
    axes = axes.flatten()
    for extra in axes[len(paths):]:
        extra.set_visible(False)
    for ax, (name, path) in zip(axes, paths):
        for r in json.load(open(path)):
            rows = r["results"]
            ax.plot([row["recall_at_10"] for row in rows], [row["per_second"] for row in rows], marker="o", label=r["library"],
                    color=COLORS.get(r["library"]))
        ax.set_xlabel("recall@10"); ax.set_ylabel("queries/s, one thread"); ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3); ax.legend(); ax.set_title(name)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--quiver", default=".build/release/quiver")
    ap.add_argument("--M", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=200)
    ap.add_argument("--out")
    ap.add_argument("--plot", help="draw recall@10 vs queries/s, one line per library, to this PNG")
    ap.add_argument("--title", default="")
    ap.add_argument("--libraries", default="hnswlib,faiss,usearch", help="peers to run beside Quiver")
    ap.add_argument("--quiver-args", default="", help="extra arguments for `quiver-bench ann`")
    ap.add_argument("--walks", default="int8,f32", help="Quiver walk encodings to run (one `quiver-bench ann` each)")
    ap.add_argument("--threads", default="1,2", help="build thread counts; searches use the first build")
    ap.add_argument("--tmp", default="/tmp/ann-compare-index", help="where saved indexes go while their size and reopen are measured")
    args = ap.parse_args()
    x = np.load(args.base).astype(np.float32)
    q = np.load(args.queries).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    scores = q @ x.T
    top = np.argpartition(-scores, 10, axis=1)[:, :10]
    truth = np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1), axis=1)
    del scores
    threads = [int(t) for t in args.threads.split(",")]
    report = []
    for walk in filter(None, args.walks.split(",")):
        out = subprocess.run([args.quiver, "bench", "ann", "--base", args.base, "--queries", args.queries, "--M", str(args.M),
                              "--ef-construction", str(args.ef_construction), "--ef", ",".join(map(str, EFS)),
                              "--walk", walk, "--threads", args.threads, "--json", *args.quiver_args.split()],
                             check=True, capture_output=True, text=True).stdout
        report.append(json.loads(out))
        show(report[-1])
    peers = {"hnswlib": run_hnswlib, "faiss": run_faiss, "usearch": run_usearch}
    for name in filter(None, args.libraries.split(",")):
        report.append(peers[name](x, q, truth, args.M, args.ef_construction, threads, args.tmp))
        show(report[-1])
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)
    if args.plot:
        plot(report, args.plot, args.title)


def show(r):
    builds = ", ".join(f"{b['seconds']:.2f} s ({b['threads']}t)" for b in r.get("builds", [{"threads": 1, "seconds": r["build_seconds"]}]))
    line = ", ".join(f"ef {row['ef']}: R@10 {row['recall_at_10']:.3f} {row['per_second']:.0f} q/s p99 {row['p99_us']:.0f} µs"
                     for row in r["results"])
    print(f"{r['library']:22s} build {builds}; {r.get('bytes', 0) / 1e6:.1f} MB, reopen {r.get('reopen_ms', 0):.1f} ms | {line}", flush=True)


def plot(report, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in report:
        rows = r["results"]
        ax.plot([row["recall_at_10"] for row in rows], [row["per_second"] for row in rows], marker="o", label=r["library"])
    ax.set_xlabel("recall@10")
    ax.set_ylabel("queries/s, one thread")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title(title or "HNSW, M = 16, efConstruction = 200; ef ∈ {16, 32, 64, 128, 256}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    import sys
    if len(sys.argv) > 1 and sys.argv[1] == "replot":  # replot OUT.png NAME=REPORT.json ...
        replot([tuple(a.split("=", 1)) for a in sys.argv[3:]], sys.argv[2], "HNSW, M = 16, efConstruction = 200")
    else:
        main()
