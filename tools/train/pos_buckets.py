#!/usr/bin/env python3
"""POS buckets per SentencePiece piece, for the model file's token_meta section (docs/aggregators.md).

Source: WordNet 3.0 as Debian's `wordnet-base` installs it (/usr/share/wordnet): the index files
index.noun/verb/adj/adv, the morphological exception lists *.exc, and cntlist.rev (how often each
sense was tagged in the Brown-corpus concordance). A piece is bucketed as:

  7 punct     no letter or digit (punctuation, symbols)
  6 number    digits (with , . - allowed), or a spelled-out number word (closed list below)
  5 function  a closed-class word: determiner, pronoun, preposition, conjunction, auxiliary/modal,
              particle (closed list below) — checked before WordNet, which lists some of them as nouns
  1 noun, 2 verb, 3 adj, 4 adv
              a word-initial piece ("▁word") whose lower-cased word, or its WordNet base form
              (exception lists, then the detachment rules of WordNet's morphy), is in WordNet: the
              part of speech of its most frequent sense (largest cntlist.rev count; adjective
              satellites count as adjectives); a word with no tagged sense takes the part of speech
              with the most senses (ties: noun, verb, adj, adv)
  0 other     everything else: word pieces that continue a word, words WordNet does not know

  python3 tools/train/pos_buckets.py fixtures/debian-unigram-32k.model --out /tmp/train/pos.npy
"""
import argparse
import collections
import os
import re
import sys

import numpy as np

WORDNET = "/usr/share/wordnet"
NAMES = ["other", "noun", "verb", "adj", "adv", "function", "number", "punct"]
POS_FILES = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
SS_TYPE = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 3}  # 5 = adjective satellite

FUNCTION = set("""
a an the this that these those some any no every each either neither all both half several many much
more most few fewer less least other another such what which whose whatever whichever
i me my mine myself you your yours yourself yourselves he him his himself she her hers herself it its
itself we us our ours ourselves they them their theirs themselves who whom whoever one oneself
someone somebody something anyone anybody anything everyone everybody everything nobody nothing none
about above across after against along amid among around as at before behind below beneath beside
besides between beyond by despite down during except for from in inside into like near of off on
onto out outside over past per since than through throughout till to toward towards under underneath
unlike until up upon via with within without
and or but nor so yet because although though while whereas if unless whether once lest
be am is are was were been being have has had having do does did done doing
will would shall should can could may might must ought
not n't to there here how when where why then also just only very too
""".split())
NUMBER_WORDS = set("""
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand
million billion first second third fourth fifth sixth seventh eighth ninth tenth
""".split()) - {"one"}  # "one" is kept as a pronoun-like function word
NUMERIC = re.compile(r"^[0-9][0-9.,\-]*$")

# WordNet's morphy detachment rules (suffix → replacement), per part of speech.
RULES = {
    "noun": [("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y")],
    "verb": [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")],
    "adj": [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
    "adv": [],
}


def load_wordnet(root):
    senses = collections.defaultdict(dict)   # lemma → {bucket: sense count}
    for name, bucket in POS_FILES.items():
        with open(os.path.join(root, "index." + name), encoding="latin-1") as f:
            for line in f:
                if line.startswith(" "):
                    continue
                parts = line.split()
                senses[parts[0]][bucket] = int(parts[2])
    tagged = collections.defaultdict(lambda: collections.Counter())  # lemma → {bucket: largest tag count}
    with open(os.path.join(root, "cntlist.rev"), encoding="latin-1") as f:
        for line in f:
            key, _, count = line.split()
            lemma, rest = key.split("%", 1)
            bucket = SS_TYPE[rest[0]]
            tagged[lemma][bucket] = max(tagged[lemma][bucket], int(count))
    exceptions = {}
    for name in POS_FILES:
        with open(os.path.join(root, name + ".exc"), encoding="latin-1") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2:
                    exceptions.setdefault((parts[0], name), parts[1])
    return senses, tagged, exceptions


def base_forms(word, senses, exceptions):
    """The word itself if WordNet has it, else its base forms by exceptions and morphy rules."""
    if word in senses:
        return [word]
    out = []
    for name in POS_FILES:
        if (word, name) in exceptions:
            out.append(exceptions[(word, name)])
        for suffix, repl in RULES[name]:
            if word.endswith(suffix) and len(word) > len(suffix):
                base = word[: -len(suffix)] + repl
                if base in senses and POS_FILES[name] in senses[base]:
                    out.append(base)
    return [b for b in out if b in senses]


def bucket_of(piece, senses, tagged, exceptions):
    if not any(ch.isalnum() for ch in piece):
        return 7
    if not piece.startswith("\u2581"):
        return 0
    word = piece[1:].lower()
    if NUMERIC.match(word) or word in NUMBER_WORDS:
        return 6
    if word in FUNCTION:
        return 5
    for base in base_forms(word, senses, exceptions):
        counts = tagged.get(base)
        if counts and max(counts.values()) > 0:
            return max(sorted(counts), key=lambda b: counts[b])
        by_senses = senses[base]
        return max(sorted(by_senses), key=lambda b: by_senses[b])
    return 0


def buckets_for(pieces, root=WORDNET):
    senses, tagged, exceptions = load_wordnet(root)
    return np.array([bucket_of(p, senses, tagged, exceptions) for p in pieces], dtype=np.uint8)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("spm")
    ap.add_argument("--out", required=True)
    ap.add_argument("--wordnet", default=WORDNET)
    args = ap.parse_args()
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=args.spm)
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    b = buckets_for(pieces, args.wordnet)
    np.save(args.out, b)
    counts = collections.Counter(b.tolist())
    print(", ".join(f"{NAMES[k]} {counts.get(k, 0)}" for k in range(len(NAMES))), file=sys.stderr)
    for probe in ["▁black", "▁cat", "▁run", "▁running", "▁quickly", "▁the", "▁of", "▁42", ",", "ing", "▁library", "▁free"]:
        if sp.piece_to_id(probe) != sp.unk_id():
            print(f"  {probe}: {NAMES[b[sp.piece_to_id(probe)]]}", file=sys.stderr)


if __name__ == "__main__":
    main()
