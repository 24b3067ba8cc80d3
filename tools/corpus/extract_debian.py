#!/usr/bin/env python3
"""Extract Debian 12's English package descriptions into one JSONL record per package.

Input: the `Translation-en` list of bookworm main (after `apt-get update -o Acquire::Languages=en`),
compressed or not (decompressed through `apt-helper cat-file`, which reads every format apt writes),
and the `Packages` index of bookworm main for amd64 that the same `apt-get update` leaves, for each
package's section, priority, installed size (KiB), maintainer, architecture and debtags.

Output (all deterministic for a given Translation-en):
  OUT/descriptions.jsonl   every package whose long description is unique:
                           {"package", "short", "long", "split", and from Packages where the package
                           is there: "section", "priority", "installed_size" (a number),
                           "maintainer", "architecture", "tags" (a list)}; split is "test" for a fixed ~15%
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
PACKAGES_GLOB = "/var/lib/apt/lists/*_debian_dists_bookworm_main_binary-amd64_Packages*"


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


def parse_packages(text):
    """Return {package: fields} from a Packages index: the first stanza of each package, its
    section, priority, installed size (KiB, an int), maintainer, architecture and debtags (a list)."""
    out = {}
    for stanza in text.split("\n\n"):
        fields, last = {}, None
        for line in stanza.split("\n"):
            if line.startswith((" ", "\t")) and last:
                fields[last] += " " + line.strip()
            elif ": " in line:
                last, value = line.split(": ", 1)
                fields[last] = value.strip()
        name = fields.get("Package")
        if not name or name in out:
            continue
        record = {}
        for key, field in (("section", "Section"), ("priority", "Priority"), ("maintainer", "Maintainer"),
                           ("architecture", "Architecture")):
            if field in fields:
                record[key] = fields[field]
        if "Installed-Size" in fields:
            record["installed_size"] = int(fields["Installed-Size"])
        if "Tag" in fields:
            record["tags"] = [t.strip() for t in fields["Tag"].split(",") if t.strip()]
        out[name] = record
    return out


def apt_list(pattern, missing):
    """The first of apt's list files matching `pattern`; exits with `missing` when there is none."""
    found = sorted(glob.glob(pattern))
    if not found:
        sys.exit(missing)
    return found[0]


def split_of(package):
    """The fixed train/test split: ~15% of package names, chosen by their sha256."""
    return "test" if int(hashlib.sha256(package.encode()).hexdigest()[:8], 16) % 100 < 15 else "train"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--translation", help="path of Translation-en (default: the apt list of bookworm main)")
    parser.add_argument("--packages", help="path of the Packages index (default: the apt list of bookworm main, amd64)")
    parser.add_argument("--out", required=True, help="output folder")
    args = parser.parse_args()

    path = args.translation or apt_list(DEFAULT_GLOB, "no Translation-en list: run `apt-get update -o Acquire::Languages=en` first")
    records = sorted(parse_records(read_translation(path)))
    packages_path = args.packages or apt_list(PACKAGES_GLOB, "no Packages list: run `apt-get update` first")
    packages = parse_packages(read_translation(packages_path))

    seen, kept = set(), []
    for package, short, long in records:
        if not long or long in seen:
            continue
        seen.add(long)
        kept.append({"package": package, "short": short, "long": long, "split": split_of(package),
                     **packages.get(package, {})})

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
