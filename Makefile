# Quiver — the two commands of the README contract, and their helpers.
#   make demo   run the main job on the embedded default (fixture model + fixture corpus)
#   make test   run the whole test suite
# Both install the Debian packages Quiver needs, quietly and only when one is missing.

SWIFT ?= swift
APT_PACKAGES := liblmdb-dev libsentencepiece-dev libxxhash-dev sentencepiece
QUIVER := .build/release/quiver

.PHONY: deps build test demo bench clean crash-test fuzz test-asan test-tsan python test-python test-spark

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build -c release --product quiver

# Tests run on the release build: what ships is what is tested, and the zero-allocation invariant
# (EmbedAllocationTests) holds only where the optimiser has removed debug-build temporaries. The CLI
# is built first because CrashSafetyTests kills a real `quiver ingest` process.
test: deps
	$(SWIFT) build -c release --product quiver
	$(SWIFT) build -c release --product quiver-fuzz
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build
	$(MAKE) test-python
	$(MAKE) test-spark

# The Python package (python/): a virtual environment of pinned packages in .build-venv, the
# package installed into it by `pip install ./python` (which builds libQuiverC.so with the Swift
# runtime linked in, in .build-python), then its pytest suite against the CLI built above.
PYTHON ?= python3
VENV := .build-venv
$(VENV)/installed-requirements: python/requirements-test.txt
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || $(MAKE) APT_PACKAGES=python3-venv deps
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r python/requirements-test.txt
	cp python/requirements-test.txt $@

python: deps $(VENV)/installed-requirements
	$(VENV)/bin/pip install -q --disable-pip-version-check --no-build-isolation ./python

test-python: python
	$(SWIFT) build -c release --product quiver
	cd / && $(CURDIR)/$(VENV)/bin/python -c 'import quiver; print(quiver.Model().embed(["black cat"]).shape, "from", quiver.__file__)'
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider python/tests

# The Spark job (tools/spark) in local mode, on the Python package above; pyspark from PyPI, Java 17
# from Debian (openjdk-17-jre-headless).
$(VENV)/installed-spark: tools/spark/requirements.txt $(VENV)/installed-requirements
	$(VENV)/bin/pip install -q --disable-pip-version-check -r tools/spark/requirements.txt
	cp tools/spark/requirements.txt $@

test-spark: python $(VENV)/installed-spark
	@command -v java >/dev/null || $(MAKE) APT_PACKAGES=openjdk-17-jre-headless deps
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider tools/spark/test_spark.py

# The long crash test: 50 seeded SIGKILLs of ingest, delete and compact (make test runs 6), then a
# resume that must leave exactly the corpus (docs/reliability.md). QUIVER_CRASH_SEED picks the run.
crash-test: deps
	$(SWIFT) build -c release --product quiver
	$(SWIFT) build -c release --product quiver-fuzz
	$(SWIFT) build -c release --build-tests
	QUIVER_CRASH_KILLS=$${QUIVER_CRASH_KILLS:-50} $(SWIFT) test -c release --skip-build --filter 'FaultTests/randomKills'

# libFuzzer over every parser a hostile file reaches (Tests/Fuzz/README.md): FUZZ_SECONDS each
# (600 by default), corpora grown in .build-fuzz/corpus, seeds from Tests/Fuzz; a crash stops the
# run and leaves its input as .build-fuzz/<target>-crash-… (Swift's own backtracer is turned off so
# that libFuzzer's handler saves it; linked with lld: gold fails on the instrumented objects).
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= model sentencepiece json vectors graph
fuzz: deps
	$(SWIFT) build -c release --product quiver-fuzz --build-path .build-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DQUIVER_FUZZ \
	  -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p .build-fuzz/corpus/$$t && \
	  SWIFT_BACKTRACE=enable=no QUIVER_FUZZ_TARGET=$$t .build-fuzz/release/quiver-fuzz .build-fuzz/corpus/$$t Tests/Fuzz/$$t \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 -artifact_prefix=.build-fuzz/$$t- -print_final_stats=1 || exit 1; \
	done

# The whole suite under AddressSanitizer and under ThreadSanitizer (each in its own build folder).
# The two allocation-counting tests are left out there (the malloc interposer and the sanitizer's
# allocator collide; CAllocationCounter compiles without it and they are disabled).
test-asan: deps
	$(SWIFT) build -c release --build-path .build-asan --sanitize=address --product quiver
	$(SWIFT) build -c release --build-path .build-asan --sanitize=address --product quiver-fuzz
	$(SWIFT) build -c release --build-path .build-asan --sanitize=address --build-tests
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/Sanitizers/lsan.supp QUIVER_BINARY_DIR=.build-asan/release \
	  $(SWIFT) test -c release --build-path .build-asan --sanitize=address --skip-build

test-tsan: deps
	$(SWIFT) build -c release --build-path .build-tsan --sanitize=thread --product quiver
	$(SWIFT) build -c release --build-path .build-tsan --sanitize=thread --product quiver-fuzz
	$(SWIFT) build -c release --build-path .build-tsan --sanitize=thread --build-tests
	QUIVER_BINARY_DIR=.build-tsan/release $(SWIFT) test -c release --build-path .build-tsan --sanitize=thread --skip-build

DEMO_STORE := .build/demo-store

demo: build
	@echo "== The default model (256-d, PQ M=64, stateful aggregator, distilled from all-MiniLM-L6-v2)"
	@$(QUIVER) model info | head -8
	@echo
	@echo "== Ingesting the fixture corpus (4,000 Debian package descriptions) into a fresh store: vectors, HNSW graph, lexical index"
	@rm -rf $(DEMO_STORE)
	@$(QUIVER) ingest --store $(DEMO_STORE) fixtures/debian-descriptions.jsonl
	@echo
	@echo "== Query (hybrid: vectors + BM25): send mail through an SMTP relay"
	@$(QUIVER) query --store $(DEMO_STORE) -k 5 "send mail through an SMTP relay"
	@echo
	@echo "== Query (hybrid): PDF document viewer"
	@$(QUIVER) query --store $(DEMO_STORE) -k 5 "PDF document viewer"
	@echo
	@echo "== An exact word decides: 'XML'. Vector only, then hybrid: Python library for parsing XML"
	@$(QUIVER) query --store $(DEMO_STORE) -k 3 --mode vector "Python library for parsing XML"
	@echo "   -- hybrid --"
	@$(QUIVER) query --store $(DEMO_STORE) -k 3 "Python library for parsing XML"
	@echo
	@echo "== A filtered query (metadata from Debian's Packages index): PDF document viewer, only Qt programs under 50 MiB"
	@$(QUIVER) query --store $(DEMO_STORE) -k 3 --where '{"tags": "uitoolkit::qt", "installed_size": {"$$lt": 51200}}' "PDF document viewer"
	@echo "   -- documents that pass that filter: --"
	@$(QUIVER) count --store $(DEMO_STORE) --where '{"tags": "uitoolkit::qt", "installed_size": {"$$lt": 51200}}'
	@echo
	@echo "== After a restart (a new process maps the same store): the first query again, as JSON"
	@$(QUIVER) query --store $(DEMO_STORE) -k 2 --json "send mail through an SMTP relay" | cut -c1-260
	@echo
	@echo "== A replica: a consistent, compacted snapshot of the store (taken while writers may run), queried"
	@rm -rf $(DEMO_STORE)-replica
	@$(QUIVER) snapshot --store $(DEMO_STORE) --to $(DEMO_STORE)-replica
	@$(QUIVER) query --store $(DEMO_STORE)-replica -k 2 "send mail through an SMTP relay"
	@echo
	@$(QUIVER) stats --store $(DEMO_STORE)

# Benchmarks with the CPU tuning switch (see Package.swift); a separate build folder keeps the
# portable build of `make test` untouched.
bench: deps
	QUIVER_TARGET_CPU=haswell $(SWIFT) run -c release --scratch-path .build-tuned quiver-bench kernels

clean:
	rm -rf .build .build-tuned .build-python .build-venv python/build
