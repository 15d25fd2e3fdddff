#!/usr/bin/env bash
# Build the pinned upstream programs from the Go module proxy and package each one the way its upstream release is
# packaged (archive named as upstream names it + a sha256 sums file), into the controller's artifact cache:
#   ${PNM_CACHE_DIR}/artifacts/<name>/<version>/<arch>/
# That is the same layout the roles read offline (`plugnmeet_artifacts_dir`), so the tests install through the path
# a user in an air-gapped network uses. A second run with everything present takes a few seconds.
#
# usage: tools/artifacts.sh [--arch amd64,arm64] [name ...]      names: nats livekit recorder (default: all)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Pins. Keep them equal to the roles' defaults (tests/unit checks this).
NATS_VERSION="2.12.15"
LIVEKIT_VERSION="1.13.5"
RECORDER_VERSION="2.3.0"
# plugnmeet-recorder's go.mod has no /v2 suffix, so the proxy only knows the release by its commit.
RECORDER_COMMIT="93f79d5002902e003538fb2fe6bfa0ebdce61816"
# The plugnmeet-protocol release recorder v2.3.0 requires (its go.mod).
RECORDER_PROTOCOL_VERSION="1.5.0"

ARTIFACTS_DIR="${PNM_CACHE_DIR}/artifacts"
ARCHES="$(go env GOARCH 2>/dev/null || echo amd64)"

# A module's source, copied somewhere writable: livekit-server's go.mod may carry `replace` lines, which
# `go install module@version` refuses, so every build runs inside a copy of its module.
module_copy() {
  local module="$1" version="$2" dir json
  json=$(go mod download -json "${module}@${version}") || {
    echo "${json}" >&2
    return 1
  }
  dir=$(printf '%s' "${json}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  local work
  work=$(mktemp -d)
  cp -r "${dir}/." "${work}/"
  chmod -R u+w "${work}"
  echo "${work}"
}

go_build() { # go_build SRC_DIR ARCH OUTPUT PACKAGE
  local mod=-mod=mod
  [ ! -f "$1/go.work" ] || mod="" # a workspace takes its modules as they are
  (cd "$1" && CGO_ENABLED=0 GOOS=linux GOARCH="$2" GOFLAGS="${mod}" go build -trimpath -ldflags '-s -w -buildid=' -o "$3" "$4")
}

# write_sums DIR SUMSFILE FILE...: sha256sum's own format, which is also upstream's.
write_sums() {
  local dir="$1" sums="$2"
  shift 2
  (cd "${dir}" && sha256sum "$@" >"${sums}.tmp" && mv "${sums}.tmp" "${sums}")
}

build_nats() {
  local arch="$1" out="${ARTIFACTS_DIR}/nats-server/${NATS_VERSION}/$1"
  local base="nats-server-v${NATS_VERSION}-linux-${arch}"
  [ -s "${out}/SHA256SUMS" ] && { log "nats-server ${NATS_VERSION} ${arch}: cached"; return 0; }
  local src stage
  src=$(module_copy github.com/nats-io/nats-server/v2 "v${NATS_VERSION}")
  stage=$(mktemp -d)
  mkdir -p "${stage}/${base}" "${out}"
  go_build "${src}" "${arch}" "${stage}/${base}/nats-server" .
  cp "${src}/LICENSE" "${src}/README.md" "${stage}/${base}/"
  tar -C "${stage}" --owner=0 --group=0 --mtime=@0 -czf "${out}/${base}.tar.gz" "${base}"
  write_sums "${out}" SHA256SUMS "${base}.tar.gz"
  rm -rf "${src}" "${stage}"
}

build_livekit() {
  local arch="$1" out="${ARTIFACTS_DIR}/livekit-server/${LIVEKIT_VERSION}/$1"
  local archive="livekit_${LIVEKIT_VERSION}_linux_${arch}.tar.gz"
  [ -s "${out}/checksums.txt" ] && { log "livekit-server ${LIVEKIT_VERSION} ${arch}: cached"; return 0; }
  local src stage
  src=$(module_copy github.com/livekit/livekit-server "v${LIVEKIT_VERSION}")
  stage=$(mktemp -d)
  mkdir -p "${out}"
  go_build "${src}" "${arch}" "${stage}/livekit-server" ./cmd/server
  cp "${src}/LICENSE" "${stage}/"
  tar -C "${stage}" --owner=0 --group=0 --mtime=@0 -czf "${out}/${archive}" livekit-server LICENSE
  write_sums "${out}" checksums.txt "${archive}"
  rm -rf "${src}" "${stage}"
}

# A source tree for a Go module: a directory as it is, or a git repository (bare or not) at a tag.
source_tree() { # source_tree DIR_OR_GIT TAG
  local from="$1" tag="$2" work
  work=$(mktemp -d)
  if git --git-dir="${from}" rev-parse --verify -q "${tag}^{commit}" >/dev/null 2>&1; then
    git --git-dir="${from}" archive "${tag}" | tar -x -C "${work}"
  elif git -C "${from}" rev-parse --verify -q "${tag}^{commit}" >/dev/null 2>&1; then
    git -C "${from}" archive "${tag}" | tar -x -C "${work}"
  else
    cp -r "${from}/." "${work}/"
  fi
  echo "${work}"
}

# The recorder from sources given by path: PNM_RECORDER_SOURCE (plugNmeet-recorder) and PNM_PROTOCOL_SOURCE
# (plugnmeet-protocol, which the recorder imports and the proxy refuses as well), tied together by a Go workspace.
recorder_from_sources() {
  local src proto
  [ -n "${PNM_RECORDER_SOURCE:-}" ] && [ -n "${PNM_PROTOCOL_SOURCE:-}" ] || return 1
  src=$(source_tree "${PNM_RECORDER_SOURCE}" "v${RECORDER_VERSION}") || return 1
  proto=$(source_tree "${PNM_PROTOCOL_SOURCE}" "v${RECORDER_PROTOCOL_VERSION}") || return 1
  (cd "${src}" && go work init . "${proto}") || return 1
  echo "${src}"
}

build_recorder() {
  local arch="$1" out="${ARTIFACTS_DIR}/plugnmeet-recorder/${RECORDER_VERSION}/$1"
  local bin="plugnmeet-recorder-linux-${arch}"
  [ -s "${out}/SHA256SUMS" ] && { log "plugnmeet-recorder ${RECORDER_VERSION} ${arch}: cached"; return 0; }
  local src stage
  if ! src=$(recorder_from_sources) && ! src=$(module_copy github.com/mynaparrot/plugnmeet-recorder "${RECORDER_COMMIT}" 2>&1); then
    log "WARNING: plugnmeet-recorder ${RECORDER_VERSION} cannot be built here: the Go module proxy refuses it:"
    log "  ${src}"
    log "  Either put upstream's ${bin}.zip into ${out}/ (and its sha256 into ${out}/SHA256SUMS),"
    log "  or point PNM_RECORDER_SOURCE and PNM_PROTOCOL_SOURCE at checkouts of plugNmeet-recorder and"
    log "  plugnmeet-protocol (tags v${RECORDER_VERSION} and v${RECORDER_PROTOCOL_VERSION} are built)."
    log "  Until then the recorder's Molecule checks that need the real program are skipped."
    return 2
  fi
  stage=$(mktemp -d)
  mkdir -p "${out}"
  go_build "${src}" "${arch}" "${stage}/${bin}" .
  cp "${src}/config_sample.yaml" "${stage}/"
  (cd "${stage}" && touch -d @0 "${bin}" config_sample.yaml && zip -X -q "${out}/${bin}.zip" "${bin}" config_sample.yaml)
  write_sums "${out}" SHA256SUMS "${bin}.zip"
  rm -rf "${src}" "${stage}"
}

main() {
  local names=() arch name rc=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --arch) ARCHES="${2//,/ }"; shift 2 ;;
      nats | livekit | recorder) names+=("$1"); shift ;;
      *) die "unknown argument: $1 (usage: $0 [--arch amd64,arm64] [nats] [livekit] [recorder])" ;;
    esac
  done
  [ "${#names[@]}" -gt 0 ] || names=(nats livekit recorder)
  command -v go >/dev/null || die "Go is needed to build the artifacts"
  for name in "${names[@]}"; do
    for arch in ${ARCHES}; do
      timed "artifact ${name} ${arch}" "build_${name}" "${arch}" || rc=$?
    done
  done
  return "${rc}"
}

main "$@"
