"""Shared fixtures: the checkout's fixture corpus and its `quiver` command-line tool (built by
`make test` before pytest runs), against which the package's answers are checked."""
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("QUIVER_CLI", REPO / ".build" / "release" / "quiver"))
CORPUS = REPO / "fixtures" / "debian-descriptions.jsonl"
DEFAULT_MODEL = REPO / "fixtures" / "quiver-256d-pq-stateful-trained-vectors.qvm"


def run_cli(*args, stdin=None):
    """Runs the quiver CLI; returns its standard output (raises with its stderr on failure)."""
    if not CLI.exists():
        raise RuntimeError(f"the quiver CLI is not built at {CLI} (make test builds it first)")
    done = subprocess.run([str(CLI), *map(str, args)], input=stdin, capture_output=True, text=True,
                          env={**os.environ, "QUIVER_FIXTURES": str(REPO / "fixtures")})
    if done.returncode != 0:
        raise RuntimeError(f"quiver {' '.join(map(str, args))} failed: {done.stderr.strip()}")
    return done.stdout


@pytest.fixture(scope="session")
def corpus():
    """The fixture corpus: 4,000 Debian package descriptions with their Packages metadata."""
    with open(CORPUS, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def run_in_threads(fn, threads=4):
    """fn() on `threads` threads at once; their results in thread order (the first error re-raised)."""
    results, errors = [None] * threads, []

    def work(i):
        try:
            results[i] = fn()
        except Exception as e:  # noqa: BLE001 — re-raised below, in the test's thread
            errors.append(e)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]
    return results
