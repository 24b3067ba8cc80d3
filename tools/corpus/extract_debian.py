#!/usr/bin/env python3
"""Extract Debian 12's English package descriptions into one JSONL record per package.

Input: the `Translation-en` list of bookworm main (after `apt-get update -o Acquire::Languages=en`),
compressed or not (decompressed through `apt-helper cat-file`, which reads every format apt writes).

Output (all deterministic for a given Translation-en):
  OUT/descriptions.jsonl   every package whose long description is unique:
                           {"package", "short", "long", "split"}; split is "test" for a fixed ~15%
                           of package names (first 8 hex digits of sha256(name) mod 100 < 15),
                           otherwise "train".
  OUT/spm-train.txt        the train split as SentencePiece training text: the short description and
                           each paragraph of the long description, one per line.

Identical long descriptions (e.g. `foo` and `foo-data`) are kept once, for the package whose name sorts
first, so that a retrieval task has exactly one right answer per query.
Only the standard library is used.
"""
import argparse
import glob
import hashlib
import json
import os
import subprocess
import sys

DEFAULT_GLOB = "/var/lib/apt/lists/*_debian_dists_bookworm_main_i18n_Translation-en*"


def read_translation(path):
    """Return the decompressed text of a Translation-en list file."""
    out = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", path], check=True, capture_output=True)
    return out.stdout.decode("utf-8")


def parse_records(text):
    """Yield (package, short, long) from deb822 stanzas; long keeps paragraphs split by blank lines."""
    for stanza in text.split("\n\n"):
        package, short, body = None, None, []
        for line in stanza.split("\n"):
            if line.startswith("Package: "):
                package = line[len("Package: "):].strip()
            elif line.startswith("Description-en: "):
                short = line[len("Description-en: "):].strip()
            elif line.startswith(" ") and short is not None:
                content = line[1:]
                body.append("" if content.strip() == "." else content.strip())
        if package and short:
            paragraphs, current = [], []
            for line in body:
                if line == "":
                    if current:
                        paragraphs.append(" ".join(current))
                    current = []
                else:
                    current.append(line)
            if current:
                paragraphs.append(" ".join(current))
            yield package, short, "\n".join(paragraphs)


def split_of(package):
    """The fixed train/test split: ~15% of package names, chosen by their sha256."""
    return "test" if int(hashlib.sha256(package.encode()).hexdigest()[:8], 16) % 100 < 15 else "train"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--translation", help="path of Translation-en (default: the apt list of bookworm main)")
    parser.add_argument("--out", required=True, help="output folder")
    args = parser.parse_args()

    path = args.translation
    if path is None:
        found = sorted(glob.glob(DEFAULT_GLOB))
        if not found:
            sys.exit("no Translation-en list: run `apt-get update -o Acquire::Languages=en` first")
        path = found[0]
    records = sorted(parse_records(read_translation(path)))

    seen, kept = set(), []
    for package, short, long in records:
        if not long or long in seen:
            continue
        seen.add(long)
        kept.append({"package": package, "short": short, "long": long, "split": split_of(package)})

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "descriptions.jsonl"), "w", encoding="utf-8") as f:
        for r in kept:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(os.path.join(args.out, "spm-train.txt"), "w", encoding="utf-8") as f:
        for r in kept:
            if r["split"] == "train":
                f.write(r["short"] + "\n")
                for p in r["long"].split("\n"):
                    f.write(p + "\n")
    n_test = sum(r["split"] == "test" for r in kept)
    print(f"{len(records)} records, {len(kept)} with a unique long description, {n_test} test, "
          f"{len(kept) - n_test} train", file=sys.stderr)


if __name__ == "__main__":
    main()
