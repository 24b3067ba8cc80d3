"""Quiver on Spark: build one Quiver store per shard from a JSONL corpus, and answer queries across
the shards (docs/scale-out.md).

    python tools/spark/quiver_spark.py build --corpus corpus.jsonl --out shards/ --shards 4
    python tools/spark/quiver_spark.py query --manifest shards/manifest.json -k 10 "pdf viewer" ...

build: read the corpus (one JSON object a line: id, text, optional metadata) → embed each document
in `mapInArrow` with the Quiver model (loaded inside the task, after the worker forks) → shard =
pmod(hash(id), N), Spark's Murmur3 hash (`route` computes the same in Python, for updates and
deletes) → one task per shard (`partitionBy`, not `repartition`, which may put two shards in one
partition) builds a store in a staging folder, then snapshots it (a compacting copy) to
`shard-<i>.attempt-<a>-<uid>` in the output → when every shard succeeded, and only then, the driver
writes `manifest.json` (space key, N, documents, per-shard files with sizes and SHA-256) by rename
and removes what failed attempts left. A document's vector is its whole text's (one passage a
document): split long documents upstream.

query: one task per shard answers every query on its shard (read-only), the driver merges by score.
Vector scores are comparable across shards, so the merged exact top-k is the single store's;
lexical (BM25) scores use each shard's own statistics, so lexical and hybrid merges approximate it.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1


# -- routing: Spark's hash(id), so that updates and deletes reach the shard that holds a document


def _rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & 0xFFFFFFFF


def _mix_k1(k1):
    k1 = (k1 * 0xCC9E2D51) & 0xFFFFFFFF
    return (_rotl(k1, 15) * 0x1B873593) & 0xFFFFFFFF


def _mix_h1(h1, k1):
    h1 = _rotl(h1 ^ k1, 13)
    return (h1 * 5 + 0xE6546B64) & 0xFFFFFFFF


def spark_hash(text, seed=42):
    """Spark SQL's `hash(text)`: Murmur3 x86_32 of the UTF-8 bytes, seed 42, with Spark's tail (each
    byte past the last whole word mixed on its own, sign-extended) — a signed 32-bit int."""
    data = text.encode("utf-8")
    h1 = seed
    aligned = len(data) - len(data) % 4
    for i in range(0, aligned, 4):
        h1 = _mix_h1(h1, _mix_k1(int.from_bytes(data[i:i + 4], "little")))
    for b in data[aligned:]:
        h1 = _mix_h1(h1, _mix_k1((b - 256 if b > 127 else b) & 0xFFFFFFFF))
    h1 ^= len(data)
    h1 ^= h1 >> 16
    h1 = (h1 * 0x85EBCA6B) & 0xFFFFFFFF
    h1 ^= h1 >> 13
    h1 = (h1 * 0xC2B2AE35) & 0xFFFFFFFF
    h1 ^= h1 >> 16
    return h1 - (1 << 32) if h1 & 0x80000000 else h1


def route(doc_id, shards):
    """The shard of a document: pmod(hash(id), shards), as the build assigned it."""
    return spark_hash(doc_id) % shards


# -- Spark


def spark_session(master="local[2,2]", app="quiver"):
    """A session whose Python workers run this interpreter (so they import the same quiver)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master(master).appName(app)
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "1000")
               .getOrCreate())
    session.sparkContext.addPyFile(__file__)  # the tasks' functions live in this module
    return session


def build(spark, corpus, out, shards, model_path=None, batch_size=1000, fail_shard_once=None):
    """Builds `shards` stores from the JSONL `corpus` into folder `out` and writes its manifest;
    returns the manifest. `fail_shard_once` (tests): that shard's first attempt kills its Python
    worker halfway through its ingest, so that Spark retries it."""
    import pyarrow as pa
    from pyspark.sql import functions as F

    out = Path(out).resolve()
    if (out / MANIFEST).exists():
        raise FileExistsError(f"{out / MANIFEST} exists: build into a new folder")
    out.mkdir(parents=True, exist_ok=True)
    staging = out / "_staging"
    staging.mkdir(exist_ok=True)
    schema = pa.schema([("seq", pa.int64()), ("id", pa.string()), ("text", pa.string()), ("metadata", pa.string()),
                        ("vector", pa.binary())])

    def embed(batches):
        import quiver  # inside the task: after the worker forks

        model = quiver.Model(model_path)
        for batch in batches:
            seqs, ids, texts, metas = [], [], [], []
            for seq, line in zip(batch.column("seq").to_pylist(), batch.column("value").to_pylist()):
                if not line.strip():
                    continue
                record = json.loads(line)
                seqs.append(seq)
                ids.append(str(record["id"]))
                texts.append(record["text"])
                metadata = record.get("metadata")
                metas.append("" if metadata is None else json.dumps(metadata))
            vectors = model.embed(texts) if texts else []
            yield pa.RecordBatch.from_arrays(
                [pa.array(seqs, pa.int64()), pa.array(ids, pa.string()), pa.array(texts, pa.string()), pa.array(metas, pa.string()),
                 pa.array([v.tobytes() for v in vectors], pa.binary())], schema=schema)

    lines = spark.read.text(str(corpus)).withColumn("seq", F.monotonically_increasing_id())
    embedded = lines.mapInArrow(embed, "seq long, id string, text string, metadata string, vector binary")
    keyed = embedded.withColumn("shard", F.pmod(F.hash("id"), F.lit(shards)))
    by_shard = keyed.rdd.map(lambda r: (r.shard, (r.seq, r.id, r.text, r.metadata, r.vector))).partitionBy(shards, lambda s: s)

    def build_shard(index, items):
        import numpy as np
        import quiver
        from pyspark import TaskContext

        attempt = TaskContext.get().attemptNumber()
        # Input order: a re-ingested id ends as its last line says, as in one sequential ingest.
        records = sorted((value for _, value in items), key=lambda r: r[0])
        model = quiver.Model(model_path)
        work = staging / f"shard-{index:05d}.attempt-{attempt}-{uuid.uuid4().hex[:8]}"
        with quiver.Store(work, model=model) as store:
            for start in range(0, len(records), batch_size):
                chunk = records[start:start + batch_size]
                vectors = np.stack([np.frombuffer(r[4], dtype=np.float32) for r in chunk])
                store.ingest([(r[1], r[2], r[3] or None) for r in chunk], vectors=vectors)
                if fail_shard_once == index and attempt == 0:
                    os._exit(1)  # a killed worker, with a partial shard on disk
        final = out / work.name
        with quiver.Store(work, model=model, create=False) as store:
            store.snapshot(final)  # a compacting copy: the shard's file holds no free pages
            stats = store.stats()
        shutil.rmtree(work, ignore_errors=True)
        files = {}
        for path in sorted(final.iterdir()):
            if path.name == "data.mdb" or path.name.endswith(".hnsw"):
                files[path.name] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
        yield {"shard": index, "attempt": attempt, "path": final.name, "documents": stats["documents"],
               "rows": sum(s["rows"] for s in stats["spaces"]), "space": stats["spaces"][0]["key"] if stats["spaces"] else None,
               "files": files}

    results = by_shard.mapPartitionsWithIndex(build_shard).collect()
    built = sorted(results, key=lambda r: r["shard"])
    if [r["shard"] for r in built] != list(range(shards)):
        raise RuntimeError(f"shards built: {[r['shard'] for r in built]}, expected 0…{shards - 1}: no manifest written")
    spaces = {r["space"] for r in built if r["space"]}
    if len(spaces) != 1:
        raise RuntimeError(f"the shards hold different spaces {sorted(spaces)}: no manifest written")
    manifest = {"format": MANIFEST_FORMAT, "space": spaces.pop(), "shards": shards, "routing": "pmod(hash(id), shards): Spark's Murmur3, seed 42",
                "documents": sum(r["documents"] for r in built), "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "shard_stores": [{k: r[k] for k in ("shard", "attempt", "path", "documents", "rows", "files")} for r in built]}
    temporary = out / (MANIFEST + ".tmp")
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.rename(temporary, out / MANIFEST)
    # What failed attempts left (partial shards, staging) is not in the manifest: remove it.
    named = {r["path"] for r in built}
    for path in out.iterdir():
        if path.is_dir() and path.name not in named:
            shutil.rmtree(path, ignore_errors=True)
    return manifest


def load_manifest(path, verify=False):
    """The manifest at `path` (a manifest file or its folder); with `verify`, every shard file's
    size and SHA-256 are checked."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"{path}: manifest format {manifest.get('format')!r}, this job reads format {MANIFEST_FORMAT}")
    manifest["folder"] = str(path.parent.resolve())
    if verify:
        for shard in manifest["shard_stores"]:
            for name, expected in shard["files"].items():
                file = Path(manifest["folder"]) / shard["path"] / name
                if file.stat().st_size != expected["bytes"] or _sha256(file) != expected["sha256"]:
                    raise ValueError(f"{file} does not match the manifest (size or SHA-256)")
    return manifest


def query(spark, manifest, queries, k=10, mode="vector", exact=True, where=None, model_path=None):
    """The merged top-k of each query over every shard: one task per shard answers all queries,
    the driver keeps the k best by score (ties by id). Returns one list of (id, score, text, shard)
    a query."""
    folder = Path(manifest["folder"])
    shards = [(s["shard"], str(folder / s["path"])) for s in manifest["shard_stores"]]
    asked = spark.sparkContext.broadcast(list(queries))

    def answer(items):
        import quiver

        model = quiver.Model(model_path)
        for shard, path in items:
            with quiver.Store(path, model=model, create=False, read_only=True) as store:
                for q, hits in enumerate(store.search(asked.value, k=k, mode=mode, exact=exact, where=where)):
                    for h in hits:
                        yield (q, h.score, h.id, h.text, shard)

    found = spark.sparkContext.parallelize(shards, len(shards)).mapPartitions(answer).collect()
    merged = [[] for _ in queries]
    for q, score, doc_id, text, shard in found:
        merged[q].append((doc_id, score, text, shard))
    return [sorted(hits, key=lambda h: (-h[1], h[0]))[:k] for hits in merged]


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--master", default="local[2,2]", help="Spark master (default local[2,2]: 2 threads, a task tried twice)")
    parser.add_argument("--model", help="Quiver model file (default: the package's bundled model)")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="embed a JSONL corpus and build one store per shard")
    b.add_argument("--corpus", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--shards", type=int, required=True)
    b.add_argument("--batch-size", type=int, default=1000)
    q = sub.add_parser("query", help="answer queries across the shards of a manifest (JSON lines out)")
    q.add_argument("--manifest", required=True)
    q.add_argument("-k", type=int, default=10)
    q.add_argument("--mode", default="vector", choices=["vector", "lexical", "hybrid"])
    q.add_argument("--hnsw", action="store_true", help="HNSW instead of the exact scan")
    q.add_argument("--where", help="a JSON metadata filter")
    q.add_argument("--verify", action="store_true", help="check every shard file's SHA-256 first")
    q.add_argument("queries", nargs="+")
    args = parser.parse_args(argv)
    spark = spark_session(args.master)
    try:
        if args.command == "build":
            started = time.time()
            manifest = build(spark, args.corpus, args.out, args.shards, model_path=args.model, batch_size=args.batch_size)
            print(json.dumps({"manifest": str(Path(args.out) / MANIFEST), "documents": manifest["documents"],
                              "shards": manifest["shards"], "seconds": round(time.time() - started, 2)}))
        else:
            manifest = load_manifest(args.manifest, verify=args.verify)
            answers = query(spark, manifest, args.queries, k=args.k, mode=args.mode, exact=not args.hnsw,
                            where=json.loads(args.where) if args.where else None, model_path=args.model)
            for text, hits in zip(args.queries, answers):
                print(json.dumps({"query": text, "results": [{"id": h[0], "score": h[1], "text": h[2], "shard": h[3]} for h in hits]}))
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
