#!/usr/bin/env python3
"""Cut the committed fixture slice out of descriptions.jsonl (made by extract_debian.py).

The slice is the first COUNT records of the *test* split in sha256(package-name) order, so it is a
fixed, name-independent sample that the model's training (train split only) never saw. Writes:
  OUT/debian-descriptions.jsonl   {"id": package, "text": long, "metadata": {"short": short, "section",
                                  "priority", "installed_size", "maintainer", "architecture", "tags"}},
                                  one a line (the ingest format: the long description is the document,
                                  the short one is the natural query for it; the Packages fields where
                                  the package has them)
  OUT/debian-sentences.txt        the slice's short descriptions, one a line (tokenizer/embedder tests)
"""
import argparse
import hashlib
import json
import os


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("descriptions", help="descriptions.jsonl from extract_debian.py")
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=4000)
    args = parser.parse_args()

    with open(args.descriptions, encoding="utf-8") as f:
        test = [r for r in map(json.loads, f) if r["split"] == "test"]
    test.sort(key=lambda r: hashlib.sha256(r["package"].encode()).hexdigest())
    chosen = test[: args.count]

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "debian-descriptions.jsonl"), "w", encoding="utf-8") as f:
        for r in chosen:
            metadata = {"short": r["short"]}
            for key in ("section", "priority", "installed_size", "maintainer", "architecture", "tags"):
                if key in r:
                    metadata[key] = r[key]
            f.write(json.dumps({"id": r["package"], "text": r["long"], "metadata": metadata},
                               ensure_ascii=False) + "\n")
    with open(os.path.join(args.out, "debian-sentences.txt"), "w", encoding="utf-8") as f:
        for r in chosen:
            f.write(r["short"] + "\n")


if __name__ == "__main__":
    main()
