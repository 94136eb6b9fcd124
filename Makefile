# Every build of the lab sets GOEXPERIMENT=simd: the pure-Go backend's matmuls need it (≈7× faster).
export GOEXPERIMENT := simd
GO ?= go

.PHONY: test lab bench fuzz

## test: vet and run every test (the parity tests read ../shared/reference when present)
test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

## lab: build the CLI into bin/lab
lab:
	$(GO) build -o bin/lab ./lab/cmd/lab

## bench: [CLS] extraction throughput of a DistilBERT-base-size model on this machine
bench: lab
	bin/lab bench embed

## fuzz: run each fuzz target for a while (CI runs only their seed corpora, as part of test)
fuzz:
	$(GO) test -run XXX -fuzz FuzzOpen -fuzztime 60s ./lab/weights/
	$(GO) test -run XXX -fuzz FuzzLoad -fuzztime 60s ./lab/tokenize/
	$(GO) test -run XXX -fuzz FuzzEncode -fuzztime 60s ./lab/tokenize/
