#!/usr/bin/env bash
# molecule-scenario.sh NAME: run one Molecule scenario, timed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
timed "molecule $1" molecule test -s "$1"
