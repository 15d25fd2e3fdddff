#!/usr/bin/env bash
# timed.sh NAME CMD...: run CMD and print how long it took (CI prints the cost of every stage).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
timed "$@"
