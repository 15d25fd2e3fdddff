#!/usr/bin/env bash
# Build the REAL plugnmeet-server v2.4.0 for the test lab from the unmodified upstream snapshots in
# ${PNM_UPSTREAM_DIR} (default: ../shared/upstream from the repository root; see the README.md there).
# The only substitute is the Azure Speech SDK's Go bindings: a Go workspace replaces them with
# tools/upstream/speechsdk (see its README.md), so Azure speech-to-text and text-to-speech fail with an ordinary
# error. The binary needs libopus0, libsoxr0 and libgomp1 at run time.
# Modules and compiled packages go to the usual Go caches (go env GOMODCACHE GOCACHE), so re-runs are quick.
#
# usage: tools/upstream/build-server.sh OUTPUT_FILE [ARCH]     (ARCH: this machine's, the default, only)
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

SERVER=plugNmeet-server-2.4.0
PROTOCOL=plugnmeet-protocol-1.5.0
SPEECH_SDK=github.com/Microsoft/cognitive-services-speech-sdk-go@v1.51.1

# sha256 of the snapshots (from the upstream README.md): we build exactly the pinned upstream tags.
declare -A SHA256=(
  ["${SERVER}"]=df81a499f2eb4bea331d4a9f445888a760510ceb8f38cd009ee6472c9cb11b2d
  ["${PROTOCOL}"]=31619f9c136b0317e4b544d5160aa4abe6c3fbcebfb4f0386c24c525068b1f1d
)

# Steps run under timed, where set -e does not apply: each one checks its commands itself.

unpack() { # unpack SRC_DIR: the snapshots into ${work}
  local name
  for name in "${SERVER}" "${PROTOCOL}"; do
    echo "${SHA256[${name}]}  $1/${name}.tar.gz" | sha256sum --check --quiet ||
      die "$1/${name}.tar.gz is not the pinned upstream snapshot"
    tar -xzf "$1/${name}.tar.gz" -C "${work}" || die "cannot unpack $1/${name}.tar.gz"
  done
}

# The workspace and its replace line are the build's own metadata, written next to the sources, not into them.
workspace() {
  (cd "${work}" && go work init "./${SERVER}" "./${PROTOCOL}" &&
    go work edit -replace "${SPEECH_SDK}=${REPO_ROOT}/tools/upstream/speechsdk")
}

build() { # build ARCH OUTPUT_TMP
  # Flags as in upstream's docker-build/Dockerfile (its main package is the module root). nolibopusfile drops
  # hraban/opus's Ogg file reader, which the server does not use, and with it the need for libopusfile.
  (cd "${work}/${SERVER}" && GOWORK="${work}/go.work" CGO_ENABLED=1 GOOS=linux GOARCH="$1" \
    go build -tags nolibopusfile -trimpath -ldflags '-s -w -buildid=' -o "$2" .)
}

main() {
  [ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $0 OUTPUT_FILE [ARCH]"
  local out="$1" arch native src
  command -v go >/dev/null || die "Go is needed to build plugnmeet-server"
  native="$(go env GOARCH)"
  arch="${2:-${native}}"
  [ "${arch}" = "${native}" ] ||
    die "cannot build for ${arch} on this ${native} machine: the cgo parts (opus, soxr) need a C cross toolchain"
  src="${PNM_UPSTREAM_DIR:-${REPO_ROOT}/../shared/upstream}"
  [ -d "${src}" ] || die "no upstream snapshots at ${src} (set PNM_UPSTREAM_DIR)"

  timed "Debian build dependencies" apt_install libopus-dev libsoxr-dev pkg-config gcc

  mkdir -p "$(dirname "${out}")"
  # Globals, not locals: the EXIT trap runs after main has returned.
  work="$(mktemp -d)"
  partial="$(mktemp "${out}.XXXXXX")"
  trap 'rm -rf "${work}" "${partial}"' EXIT

  timed "unpack ${SERVER} and ${PROTOCOL}" unpack "${src}"
  timed "Go workspace with the speech SDK stand-in" workspace
  timed "go build plugnmeet-server (linux/${arch})" build "${arch}" "${partial}" ||
    die "building plugnmeet-server failed"
  chmod 0755 "${partial}"
  mv -f "${partial}" "${out}"
  log "plugnmeet-server $("${out}" -version) for linux/${arch}: ${out} ($(du -h "${out}" | cut -f1))"
}

main "$@"
