# `make demo` and `make test` each create the virtual environment when it is missing.
VENV ?= .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/cdsvae-eval
DEPS_STAMP := $(VENV)/.deps-$(shell sha256sum pyproject.toml | cut -c1-16)
DEMO_RUN := runs/demo
DEMO_AUDIO_RUN := runs/demo-audio
DEMO_AUDIO_TASKS := speaker-eer,speaker-few-shot,classify,frame-probe,speech-swap
DEMO_TIMES := runs/demo-times.txt

.PHONY: demo demo-video demo-audio demo-audio-run test install

$(DEPS_STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.deps-*
	touch $@

install: $(DEPS_STAMP)
	@$(PY) -c "import sys, cdsvae_eval, pathlib; sys.exit(pathlib.Path(cdsvae_eval.__file__).parent != pathlib.Path('$(CURDIR)/cdsvae_eval'))" 2>/dev/null \
		|| $(PY) -m pip install -q --no-deps -e .

test: install
	$(PY) -m pytest -q

# Both halves, each timed; the closing note gives their wall times.
timed = start=$$(date +%s); $(MAKE) --no-print-directory $(1) && echo "$(1): $$(( $$(date +%s) - start )) s" >> $(DEMO_TIMES)

demo: install
	@mkdir -p runs && rm -f $(DEMO_TIMES)
	@$(call timed,demo-video)
	@$(call timed,demo-audio)
	@echo "wall times on $$(nproc) CPU core(s):" && cat $(DEMO_TIMES)
	@if [ -d $(DEMO_AUDIO_RUN)/probes ]; then $(CLI) report $(DEMO_RUN) $(DEMO_AUDIO_RUN) --html runs/demo-both.html > /dev/null \
		&& echo "reports: $(DEMO_RUN)/report.html, $(DEMO_AUDIO_RUN)/report.html, both halves: runs/demo-both.html"; \
	else echo "report of the video run: $(DEMO_RUN)/report.html"; fi

# Video: train the quick preset on flare-sprites, score it with every task that applies, draw its swaps,
# then put the whole run on one page.
demo-video: install
	$(CLI) train --out $(DEMO_RUN) --force
	$(CLI) probe --task all --checkpoint $(DEMO_RUN) --out $(DEMO_RUN)/probes --random-baseline --force
	$(CLI) sample --checkpoint $(DEMO_RUN) --out $(DEMO_RUN)/swaps.png --force
	$(CLI) verdict $(DEMO_RUN)/probes
	$(CLI) report $(DEMO_RUN) --html $(DEMO_RUN)/report.html --markdown-file $(DEMO_RUN)/report.md > /dev/null
	@echo "report: $(DEMO_RUN)/report.html"

# Audio: the audio quick preset on tts-timit, scored with the speech tasks (speaker verification of z_s, mean
# z_1:T and the MFCC baseline on the same trials under every back-end, speaker identification from few
# utterances, phone probes per segment and per frame, speech swaps judged by voice and words), the verdict on
# its four halves, then the run on one page (which plays the first swap pairs).
# few-shot and code-usage (`probe --task all`) add about 1.5 minutes and are left to the user.
# Skipped, with the reason, when the voices are missing and tools/install_voices.sh cannot install them.
demo-audio: install
	@if tools/install_voices.sh; then $(MAKE) --no-print-directory demo-audio-run; \
	else echo "audio half skipped: the speech voices are missing and cannot be installed here (see above)"; fi

demo-audio-run:
	$(CLI) train --dataset tts-timit --out $(DEMO_AUDIO_RUN) --force
	$(CLI) probe --task $(DEMO_AUDIO_TASKS) --checkpoint $(DEMO_AUDIO_RUN) --out $(DEMO_AUDIO_RUN)/probes --random-baseline --option baseline=mfcc --option backend=all --force
	$(CLI) verdict $(DEMO_AUDIO_RUN)/probes
	$(CLI) report $(DEMO_AUDIO_RUN) --html $(DEMO_AUDIO_RUN)/report.html --markdown-file $(DEMO_AUDIO_RUN)/report.md > /dev/null
	@echo "report: $(DEMO_AUDIO_RUN)/report.html"
