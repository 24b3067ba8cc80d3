"""The Spark job in local mode (local[2,2]: two threads, every task tried twice): the merged exact
top-10 over the shards equals one store's over the same corpus, a killed shard task's retry leaves
no partial shard behind or in the manifest, and routing in Python agrees with Spark's hash."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quiver  # noqa: E402
import quiver_spark  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
QUERIES = ["PDF document viewer", "python library for web requests", "audio output", "font editor", "ssh server",
           "database client", "image manipulation", "network monitoring", "text editor for programmers", "game"]


@pytest.fixture(scope="module")
def spark():
    session = quiver_spark.spark_session("local[2,2]", "quiver-test")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    lines = (REPO / "fixtures" / "debian-descriptions.jsonl").read_text(encoding="utf-8").splitlines()[:1200]
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def built(spark, corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("shards") / "out"
    manifest = quiver_spark.build(spark, corpus[0], out, shards=4, batch_size=100, fail_shard_once=1)
    return out, manifest


@pytest.fixture(scope="module")
def single(corpus, tmp_path_factory):
    """One store of the same corpus, documents ingested in order with the same vectors."""
    records = corpus[1]
    model = quiver.Model()
    path = tmp_path_factory.mktemp("single") / "store"
    with quiver.Store(path, model=model) as store:
        store.ingest(records, vectors=model.embed([r["text"] for r in records]))
    return path


def test_merged_exact_top10_equals_one_store(spark, built, single):
    manifest = quiver_spark.load_manifest(built[0], verify=True)
    merged = quiver_spark.query(spark, manifest, QUERIES, k=10)
    with quiver.Store(single, read_only=True) as store:
        expected = store.search(QUERIES, k=10, mode="vector", exact=True)
    for hits, want in zip(merged, expected):
        assert [h[0] for h in hits] == [w.id for w in want]
        assert [np.float32(h[1]) for h in hits] == [np.float32(w.score) for w in want]
    with quiver.Store(single, read_only=True) as store:
        assert manifest["documents"] == store.count()
        assert manifest["space"] == store.stats()["spaces"][0]["key"]


def test_a_killed_task_s_retry_leaves_no_partial_shard(built):
    out, manifest = built
    assert manifest["shards"] == 4 and [s["shard"] for s in manifest["shard_stores"]] == [0, 1, 2, 3]
    retried = manifest["shard_stores"][1]
    assert retried["attempt"] >= 1  # its first attempt was killed
    assert all(s["attempt"] == 0 for i, s in enumerate(manifest["shard_stores"]) if i != 1)
    # Only the manifest and the shards it names are left: no staging, no partial attempt.
    assert sorted(p.name for p in out.iterdir()) == sorted([quiver_spark.MANIFEST] + [s["path"] for s in manifest["shard_stores"]])
    for shard in manifest["shard_stores"]:
        with quiver.Store(out / shard["path"], read_only=True) as store:
            assert store.count() == shard["documents"] > 0


def test_routing_in_python_agrees_with_spark(spark, built, corpus):
    from pyspark.sql import functions as F

    ids = sorted({r["id"] for r in corpus[1]} | {"", "é", "ab", "abc", "abcde", "ünïcødé-ид-包"})
    frame = spark.createDataFrame([(i,) for i in ids], "id string").select("id", F.hash("id").alias("h"))
    assert {row.id: row.h for row in frame.collect()} == {i: quiver_spark.spark_hash(i) for i in ids}
    out, manifest = built
    for shard in manifest["shard_stores"]:
        with quiver.Store(out / shard["path"], read_only=True) as store:
            assert store.count() == sum(1 for i in {r["id"] for r in corpus[1]} if quiver_spark.route(i, 4) == shard["shard"])


def test_a_manifest_is_never_overwritten_and_another_format_is_refused(spark, built, corpus, tmp_path):
    with pytest.raises(FileExistsError):
        quiver_spark.build(spark, corpus[0], built[0], shards=4)
    future = json.loads((built[0] / quiver_spark.MANIFEST).read_text())
    future["format"] = 2
    (tmp_path / quiver_spark.MANIFEST).write_text(json.dumps(future))
    with pytest.raises(ValueError, match="format 2"):
        quiver_spark.load_manifest(tmp_path)
