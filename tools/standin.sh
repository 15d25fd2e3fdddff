#!/usr/bin/env bash
# Build the plugnmeet-server STAND-IN (molecule/standin/, test code only: see its README.md) into the controller's
# cache and print the binary's path on stdout, one line per architecture:
#   ${PNM_CACHE_DIR}/standin/<hash of molecule/standin's sources>/plugnmeet-server-standin-linux-<arch>
# A binary that is already there is not rebuilt, so a warm run takes well under a second. The Go modules come from
# the Go module proxy (pinned in molecule/standin/go.mod and go.sum).
#
# usage: tools/standin.sh [--arch amd64,arm64]      (default: this machine's architecture)
# Unit tests of the stand-in (quick; the Molecule scenario plugnmeet_server is the real proof):
#   (cd molecule/standin && go test ./...)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STANDIN_SRC="${REPO_ROOT}/molecule/standin"

# Hash of what goes into the binary: the module files and the non-test Go sources, names included.
sources_hash() {
  (
    cd "${STANDIN_SRC}"
    find . -maxdepth 1 -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum \) -print |
      LC_ALL=C sort | while read -r file; do
        printf '%s\n' "${file}"
        sha256sum <"${file}"
      done
  ) | sha256sum | cut -c1-16
}

build() { # build ARCH OUTPUT
  local arch="$1" out="$2" tmp
  tmp="$(mktemp "${out}.XXXXXX")"
  if ! (cd "${STANDIN_SRC}" && CGO_ENABLED=0 GOOS=linux GOARCH="${arch}" GOFLAGS=-mod=readonly \
    go build -trimpath -ldflags '-s -w -buildid=' -o "${tmp}" .); then
    rm -f "${tmp}"
    return 1
  fi
  chmod 0755 "${tmp}"
  mv -f "${tmp}" "${out}"
}

main() {
  local arches="" arch dir out
  while [ $# -gt 0 ]; do
    case "$1" in
      --arch) arches="${2//,/ }"; shift 2 ;;
      *) die "unknown argument: $1 (usage: $0 [--arch amd64,arm64])" ;;
    esac
  done
  command -v go >/dev/null || die "Go is needed to build the plugnmeet-server stand-in"
  [ -n "${arches}" ] || arches="$(go env GOARCH)"
  dir="${PNM_CACHE_DIR}/standin/$(sources_hash)"
  mkdir -p "${dir}"
  for arch in ${arches}; do
    out="${dir}/plugnmeet-server-standin-linux-${arch}"
    if [ -x "${out}" ]; then
      log "plugnmeet-server stand-in ${arch}: cached"
    else
      timed "build the plugnmeet-server stand-in (${arch})" build "${arch}" "${out}" ||
        die "building the plugnmeet-server stand-in for ${arch} failed"
    fi
    printf '%s\n' "${out}"
  done
}

main "$@"
