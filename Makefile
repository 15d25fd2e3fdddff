# plugnmeet.deploy: the two commands a new user needs are `make lab` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv/bin
export PATH := $(CURDIR)/$(VENV):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PNM_CACHE_DIR ?= $(HOME)/.cache/plugnmeet-deploy
# Every scenario under molecule/ that has a molecule.yml; `make test` runs them all.
ALL_SCENARIOS := $(sort $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))
SCENARIOS ?= $(ALL_SCENARIOS)
# The hosts file, not its directory: the lab's secrets, keys and certificates live beside it and are no inventory.
LAB_INVENTORY ?= inventories/lab/hosts.yml

.PHONY: setup lab lab-down lint sanity unit build docs molecule test $(addprefix molecule-,$(ALL_SCENARIOS))

setup:
	bash tools/setup.sh

# Bring up the built-in lab (real systemd hosts on this machine), run phase 1 against it, and record a meeting.
lab: setup
	bash tools/timed.sh "lab hosts" ansible-playbook tools/lab/up.yml -i $(LAB_INVENTORY)
	bash tools/timed.sh "phase 1 on the lab" ansible-playbook phase1-split-recorder.yml -i $(LAB_INVENTORY)
	bash tools/timed.sh "a meeting recorded on the lab" python tools/lab/meeting.py -i $(LAB_INVENTORY)

lab-down:
	ansible-playbook tools/lab/down.yml -i $(LAB_INVENTORY)

lint:
	bash tools/timed.sh yamllint yamllint --strict .
	bash tools/timed.sh ansible-lint ansible-lint --nocolor
	bash tools/timed.sh "changelog fragments" antsibull-changelog lint

# The role READMEs' variable tables, generated from meta/argument_specs.yml (a unit test fails when they differ).
docs:
	python3 tools/role_docs.py

sanity:
	bash tools/timed.sh "ansible-test sanity" bash tools/sanity.sh

unit:
	bash tools/timed.sh "unit tests" pytest tests/unit -q

# The built collection installs offline and its plugins load from the installed copy.
build:
	bash tools/timed.sh "collection build and offline install" bash tools/build-check.sh

# The journey alone (its meetings are recorded in real time and must not share the CPUs), then the role scenarios
# three at a time, each one's output printed whole when it ends. The longest start first (make starts them in this
# order), so that the last minutes are not one long scenario running alone.
MOLECULE_JOBS ?= 3
LONGEST_SCENARIOS_FIRST := haproxy plugnmeet_server recorder base mariadb shared_storage redis nats livekit
molecule:
	$(if $(filter journey,$(SCENARIOS)),$(MAKE) --no-print-directory molecule-journey)
	$(MAKE) --no-print-directory --keep-going -j$(MOLECULE_JOBS) --output-sync=target $(addprefix molecule-,\
		$(filter $(SCENARIOS),$(LONGEST_SCENARIOS_FIRST)) \
		$(filter-out journey $(LONGEST_SCENARIOS_FIRST),$(SCENARIOS)))

$(addprefix molecule-,$(ALL_SCENARIOS)): molecule-%:
	bash tools/molecule-scenario.sh $*

# Every test, in order of cost. CI runs exactly this.
test: setup
	$(MAKE) --no-print-directory lint sanity unit build molecule
