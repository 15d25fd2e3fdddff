#!/usr/bin/env bash
# molecule-scenario.sh NAME: run one Molecule scenario, timed. When it fails, the failed tests' reports are printed
# last and the scenario's playbook logs are kept under $PNM_CACHE_DIR/failed/NAME (Molecule prunes its own copy).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
kept="${PNM_CACHE_DIR}/failed/$1"
rm -rf "${kept}"
mkdir -p "${kept}"
export PNM_TEST_FAILURES="${kept}/failures.txt"
rc=0
timed "molecule $1" molecule test -s "$1" || rc=$?
if [ "${rc}" -ne 0 ]; then
  log "molecule $1 failed; logs kept in ${kept}"
  [ -s "${PNM_TEST_FAILURES}" ] && tail -c 8000 "${PNM_TEST_FAILURES}"
else
  rm -rf "${kept}"
fi
exit "${rc}"
