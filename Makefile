# Quiver — the two commands of the README contract, and their helpers.
#   make demo   run the main job on the embedded default (fixture model + fixture corpus)
#   make test   run the whole test suite
# Both install the Debian packages Quiver needs, quietly and only when one is missing.

SWIFT ?= swift
APT_PACKAGES := liblmdb-dev libsentencepiece-dev sentencepiece
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

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: build
	@echo "== Tokenising three Debian package descriptions with the fixture SentencePiece model"
	@$(QUIVER) tokenize \
	  "lightweight SMTP client with support for server profiles" \
	  "Python bindings for the GTK widget toolkit" \
	  "fast, scalable, distributed revision control system"
	@echo
	@echo "== Distance kernels at d = 256: SIMD against a plain scalar loop"
	@$(QUIVER) bench kernels --dimensions 256

# Benchmarks with the CPU tuning switch (see Package.swift); a separate build folder keeps the
# portable build of `make test` untouched.
bench: deps
	QUIVER_TARGET_CPU=haswell $(SWIFT) run -c release --scratch-path .build-tuned quiver bench kernels

clean:
	rm -rf .build .build-tuned
