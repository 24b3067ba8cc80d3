import json

import numpy as np
import pytest

import quiver
from conftest import DEFAULT_MODEL, run_cli, run_in_threads

QUERIES = ["PDF document viewer", "python library for web requests", "audio output", "font editor", "ssh server"]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory, corpus):
    """A store of 1,000 fixture documents (with metadata) ingested through the package."""
    path = tmp_path_factory.mktemp("store") / "s"
    with quiver.Store(path, model=quiver.Model(DEFAULT_MODEL)) as store:
        summary = store.ingest(corpus[:1000], batch_size=300)
        assert summary["documents"] == 1000 and summary["passages"] >= 1000
    return path


def cli_answers(path, query, *extra):
    return json.loads(run_cli("query", "--store", path, "--json", *extra, query))["results"]


@pytest.mark.parametrize("mode", ["hybrid", "vector", "lexical"])
def test_search_is_identical_to_the_cli(store_path, mode):
    with quiver.Store(store_path, create=False) as store:
        answers = store.search(QUERIES, k=10, mode=mode)
    for query, hits in zip(QUERIES, answers):
        expected = cli_answers(store_path, query, "--mode", mode, "-k", "10")
        assert [h.id for h in hits] == [r["id"] for r in expected]
        assert [np.float32(h.score) for h in hits] == [np.float32(r["score"]) for r in expected]
        assert [h.text for h in hits] == [r["text"] for r in expected]


def test_filtered_exact_search_is_identical_to_the_cli(store_path):
    where = {"section": {"$in": ["python", "libs"]}, "installed_size": {"$lt": 2048}}
    with quiver.Store(store_path, create=False) as store:
        hits = store.search("parse data files", k=20, mode="vector", exact=True, where=where)
        assert len(hits) == 20
        assert store.count(where=where) == int(json.loads(run_cli("count", "--store", store_path, "--json", "--where", json.dumps(where)))["documents"])
    expected = cli_answers(store_path, "parse data files", "--mode", "vector", "--exact", "-k", "20", "--where", json.dumps(where))
    assert [h.id for h in hits] == [r["id"] for r in expected]


def test_vector_queries_find_their_documents(store_path, corpus):
    with quiver.Store(store_path, create=False) as store:
        vectors = store.model.embed([d["text"] for d in corpus[:20]])
        answers = store.search(vectors, k=1, exact=True)
    assert sum(a[0].id == d["id"] for a, d in zip(answers, corpus[:20])) >= 18  # long texts are several passages


def test_four_threads_search_one_store_as_one_does(store_path):
    with quiver.Store(store_path, create=False) as store:
        expected = store.search(QUERIES * 4, k=10)
        results = run_in_threads(lambda: [store.search(QUERIES * 4, k=10) for _ in range(10)])
    assert all(r == expected for rounds in results for r in rounds)


def test_handles_of_one_path_share_one_environment(tmp_path, corpus):
    a = quiver.Store(tmp_path / "shared")
    b = quiver.Store(tmp_path / "shared/../shared")  # another spelling of the same directory
    a.ingest(corpus[:50])
    assert b.count() == 50  # b sees a's commit at once: the same environment
    a.close()
    b.ingest(corpus[50:60])
    assert b.count() == 60 and b.search("audio", k=3)
    b.close()
    with quiver.Store(tmp_path / "shared", create=False, read_only=True) as replica:
        assert replica.count() == 60
        with pytest.raises(quiver.ReadOnlyError):
            replica.ingest(corpus[60:61])


def test_bad_paths_and_arguments_raise(tmp_path, corpus):
    with pytest.raises(quiver.NotFoundError):
        quiver.Store(tmp_path / "missing", create=False)
    with pytest.raises(quiver.NotFoundError):
        quiver.Store(tmp_path / "missing", read_only=True)
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(quiver.QuiverError):
        quiver.Store(tmp_path / "file")
    with quiver.Store(tmp_path / "s") as store:
        store.ingest(corpus[:10])
        with pytest.raises(quiver.InvalidArgumentError, match="empty text"):
            store.ingest([{"id": "ok", "text": "fine"}, {"id": "bad", "text": " "}])
        assert store.count() == 10  # nothing of the failed batch was written
        with pytest.raises(quiver.InvalidArgumentError, match="metadata"):
            store.ingest([{"id": "m", "text": "fine", "metadata": "[1, 2]"}])
        with pytest.raises(quiver.InvalidArgumentError):
            store.search("cat", where='{"section": {"$regex": "py"}}')
        with pytest.raises(quiver.InvalidArgumentError):
            store.search("cat", k=0)
        with pytest.raises(quiver.InvalidArgumentError, match="dimensions"):
            store.search(np.zeros((1, 7), np.float32))
        with pytest.raises(quiver.InvalidArgumentError, match="NaN"):
            store.search(np.full((1, 256), np.nan, np.float32))
        with pytest.raises(quiver.NotFoundError):
            quiver.Store(tmp_path / "s", model=quiver.Model(dimension=64)).search("cat")
        assert store.delete(["nope", corpus[0]["id"]]) == 1
        assert store.count() == 9


def test_snapshot_answers_as_its_source(tmp_path, corpus):
    with quiver.Store(tmp_path / "src") as store:
        store.ingest(corpus[:300])
        store.snapshot(tmp_path / "copy")
        expected = store.search(QUERIES, k=10, exact=True, mode="vector")
        with pytest.raises(quiver.InvalidArgumentError, match="not empty"):
            store.snapshot(tmp_path / "copy")
    with quiver.Store(tmp_path / "copy", read_only=True) as copy:
        assert copy.count() == 300
        assert copy.search(QUERIES, k=10, exact=True, mode="vector") == expected


def test_precomputed_vectors_are_stored_one_passage_a_document(tmp_path, corpus):
    model = quiver.Model()
    docs = corpus[:200]
    vectors = model.embed([d["text"] for d in docs])
    with quiver.Store(tmp_path / "v", model=model) as store:
        summary = store.ingest(docs, vectors=vectors, batch_size=64)
        assert summary["documents"] == 200 and summary["passages"] == 200
        hits = store.search(vectors[:10], k=1, exact=True)
        assert [h[0].id for h in hits] == [d["id"] for d in docs[:10]]
        assert all(abs(h[0].score - 1) < 1e-5 for h in hits)
        assert store.search("python library", k=3, mode="lexical")  # the texts are indexed lexically too
        with pytest.raises(ValueError, match="shape"):
            store.ingest(docs[:2], vectors=vectors[:3])
        bad = vectors[:2].copy()
        bad[1, 5] = np.inf
        with pytest.raises(quiver.InvalidArgumentError, match="NaN or infinite"):
            store.ingest(corpus[300:302], vectors=bad)
        assert store.count() == 200


def test_searches_run_while_another_thread_ingests(tmp_path, corpus):
    """One thread commits batches through a Store while three others search it: no error, every
    answer complete (k results once k documents are stored), and the final count exact."""
    import threading

    docs = corpus[:1500]
    with quiver.Store(tmp_path / "busy") as store:
        store.ingest(docs[:100])
        done, reading = threading.Event(), threading.Event()

        def writer():
            try:
                assert reading.wait(30)  # the readers are searching before the first commit
                for start in range(100, len(docs), 200):
                    store.ingest(docs[start:start + 200])
            finally:
                done.set()

        def reader():
            answers = 0
            while not done.is_set():
                for hits in store.search(QUERIES, k=10):
                    assert len(hits) == 10 and len({h.id for h in hits}) == 10
                    answers += 1
                reading.set()
            return answers

        thread = threading.Thread(target=writer)
        thread.start()
        answered = run_in_threads(reader, threads=3)
        thread.join()
        assert sum(answered) > 0
        assert store.count() == len({d["id"] for d in docs})
        assert store.search("audio output", k=5, mode="vector", exact=True)
