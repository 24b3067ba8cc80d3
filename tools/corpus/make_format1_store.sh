#!/usr/bin/env bash
# Rebuilds fixtures/store-format1/data.mdb: a store written by Quiver's last format-1 release
# (commit 4314d62) from the first 60 documents of the fixture corpus, for the upgrade tests.
#   tools/corpus/make_format1_store.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
git worktree add -q "$work/tree" 4314d62
(cd "$work/tree" && swift build -c release --product quiver >/dev/null)
head -60 fixtures/debian-descriptions.jsonl > "$work/input.jsonl"
"$work/tree/.build/release/quiver" ingest --store "$work/store" --no-hnsw "$work/input.jsonl"
mkdir -p fixtures/store-format1
cp "$work/store/data.mdb" fixtures/store-format1/data.mdb
git worktree remove --force "$work/tree"
rm -rf "$work"
