# Shared helpers for the tools/ scripts. Source it; do not run it.
# shellcheck shell=bash

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Everything slow to rebuild lives outside the repository so a fresh clone reuses it.
PNM_CACHE_DIR="${PNM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/plugnmeet-deploy}"
# Label put on every container, network and volume the lab creates, so stale ones can be found and removed.
PNM_LAB_LABEL="io.plugnmeet.deploy.lab"
export REPO_ROOT PNM_CACHE_DIR PNM_LAB_LABEL

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# timed NAME CMD...: run CMD and print how long it took, so every CI stage shows its cost.
timed() {
  local name="$1" start rc=0
  shift
  start=$(date +%s)
  log ">>> ${name}"
  "$@" || rc=$?
  log "<<< ${name}: $(( $(date +%s) - start ))s (rc=${rc})"
  return "${rc}"
}

need_root() {
  [ "$(id -u)" -eq 0 ] || die "this step installs system packages and starts dockerd: run it as root"
}

# apt_install PKG...: install Debian packages that are missing, and nothing else.
apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q "ok installed" || missing+=("${pkg}")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  need_root
  log "installing Debian packages: ${missing[*]}"
  # Keep package maintainer scripts from starting daemons: dockerd's init script is unsafe here.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  local rc=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null || rc=$?
  rm -f /usr/sbin/policy-rc.d
  [ "${rc}" -eq 0 ] || die "apt-get install ${missing[*]} failed"
}

# The machine's own apt sources, read at run time: the lab builds its hosts from the mirror this machine uses.
host_apt_sources() {
  local f
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    [ -s "${f}" ] && { echo "${f}"; return 0; }
  done
  die "no Debian apt sources found in /etc/apt (debian.sources or sources.list)"
}

venv_dir() { echo "${REPO_ROOT}/.venv"; }
