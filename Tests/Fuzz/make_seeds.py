#!/usr/bin/env python3
"""Writes the small seed inputs of the fuzz corpora that are not hand-written text (run from the
repository root with tools/.venv/bin/python; needs numpy and xxhash, and `spm_train` from Debian's
`sentencepiece` package):

  Tests/Fuzz/sentencepiece/seed-tiny-unigram.model   a 150-piece unigram model of 200 fixture sentences
  Tests/Fuzz/model/seed-tiny-f16.qvm                 a 150-token, 8-d f16 model file over it
  Tests/Fuzz/vectors/seed-3x4.npy, seed-3x4.fvecs    3 rows of 4 floats
The graph seed (Tests/Fuzz/graph/seed-40x8-int8.hnsw) is `quiver ingest --space ext@8` of 40 random
8-d vectors (a store's space.1.hnsw).
"""
import os
import struct
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "distill"))
from model_file import write_model  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
with open("/tmp/quiver-fuzz-spm.txt", "w") as f:
    f.writelines(open("fixtures/debian-sentences.txt").readlines()[:200])
subprocess.run(["spm_train", "--input=/tmp/quiver-fuzz-spm.txt", "--model_prefix=/tmp/quiver-fuzz-spm", "--vocab_size=150",
                "--model_type=unigram", "--normalization_rule_name=identity", "--minloglevel=2"], check=True)
spm = open("/tmp/quiver-fuzz-spm.model", "rb").read()
open(os.path.join(here, "sentencepiece", "seed-tiny-unigram.model"), "wb").write(spm)
rng = np.random.default_rng(1)
write_model(os.path.join(here, "model", "seed-tiny-f16.qvm"), vocab=150, dim=8, spm_bytes=spm,
            weights=np.ones(150), embeddings=rng.standard_normal((150, 8)).astype(np.float32))
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"
while (10 + len(hdr) + 1) % 64:
    hdr += " "
hdr += "\n"
open(os.path.join(here, "vectors", "seed-3x4.npy"), "wb").write(
    b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + struct.pack("<12f", *range(12)))
open(os.path.join(here, "vectors", "seed-3x4.fvecs"), "wb").write(
    b"".join(struct.pack("<i", 4) + struct.pack("<4f", *range(4)) for _ in range(3)))
