# Quiver — the two commands of the README contract, and their helpers.
#   make demo   run the main job on the embedded default (fixture model + fixture corpus)
#   make test   run the whole test suite
# Both install the Debian packages Quiver needs, quietly and only when one is missing.

SWIFT ?= swift
APT_PACKAGES := liblmdb-dev libsentencepiece-dev libxxhash-dev sentencepiece
QUIVER := .build/release/quiver

.PHONY: deps build test demo bench clean

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
# (EmbedAllocationTests) holds only where the optimiser has removed debug-build temporaries.
test: deps
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build

demo: build
	@echo "== The fixture model (256-d, PQ M=64, distilled from all-MiniLM-L6-v2)"
	@$(QUIVER) model info
	@echo
	@echo "== Tokenising three Debian package descriptions with the model's SentencePiece vocabulary"
	@$(QUIVER) tokenize \
	  "lightweight SMTP client with support for server profiles" \
	  "Python bindings for the GTK widget toolkit" \
	  "fast, scalable, distributed revision control system"
	@echo
	@echo "== Embedding them (256-d unit vectors; lines cut to 140 characters)"
	@$(QUIVER) embed --json \
	  "lightweight SMTP client with support for server profiles" \
	  "Python bindings for the GTK widget toolkit" \
	  "fast, scalable, distributed revision control system" | cut -c1-140
	@echo
	@echo "== Embedding speed on the fixture corpus (single thread; 2-thread batch)"
	@$(QUIVER) bench embed --passes 1

# Benchmarks with the CPU tuning switch (see Package.swift); a separate build folder keeps the
# portable build of `make test` untouched.
bench: deps
	QUIVER_TARGET_CPU=haswell $(SWIFT) run -c release --scratch-path .build-tuned quiver bench kernels

clean:
	rm -rf .build .build-tuned
