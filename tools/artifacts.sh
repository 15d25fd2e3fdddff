#!/usr/bin/env bash
# Build the pinned upstream programs and package each one the way its upstream release is packaged (archive named
# as upstream names it + a sha256 sums file), into the controller's artifact cache:
#   ${PNM_CACHE_DIR}/artifacts/<name>/<version>/<arch>/
# That is the same layout the roles read offline (`plugnmeet_artifacts_dir`), so the tests install through the path
# a user in an air-gapped network uses. A second run with everything present takes a few seconds.
#   nats, livekit: from the Go module proxy.
#   recorder, server, client: from upstream's source snapshots (PNM_UPSTREAM_DIR, see tools/upstream/).
#   server-image: the lab's plugnmeet-server image (`docker save`), for the role's image-archive path.
#
# usage: tools/artifacts.sh [--arch amd64,arm64] [name ...]
#        names: nats livekit recorder server client server-image (default: all)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Pins. Keep them equal to the roles' defaults (tests/unit checks this).
NATS_VERSION="2.12.15"
LIVEKIT_VERSION="1.13.5"
RECORDER_VERSION="2.3.0"
# The plugnmeet-protocol release recorder v2.3.0 requires (its go.mod).
RECORDER_PROTOCOL_VERSION="1.5.0"
SERVER_VERSION="2.4.0"
CLIENT_VERSION="2.4.0"
# The lab's image of the server, loaded from the archive (production pulls upstream's mynaparrot/plugnmeet-server).
SERVER_IMAGE="pnm-lab/plugnmeet-server:v${SERVER_VERSION}"

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

# Upstream's source snapshots (unmodified `git archive` tarballs of the pinned tags, see their README): the Go module
# proxy refuses every github.com/mynaparrot module and no registry here serves plugnmeet-server's image.
PNM_UPSTREAM_DIR="${PNM_UPSTREAM_DIR:-${REPO_ROOT}/../shared/upstream}"

# unpack_upstream NAME-VERSION DIR: unpack the snapshot into DIR (it holds one folder, NAME-VERSION).
unpack_upstream() {
  local tarball="${PNM_UPSTREAM_DIR}/$1.tar.gz"
  [ -s "${tarball}" ] || die "${tarball} is missing: PNM_UPSTREAM_DIR must point at the upstream source snapshots"
  tar -xzf "${tarball}" -C "$2"
}

build_recorder() {
  local arch="$1" out="${ARTIFACTS_DIR}/plugnmeet-recorder/${RECORDER_VERSION}/$1"
  local bin="plugnmeet-recorder-linux-${arch}"
  [ -s "${out}/SHA256SUMS" ] && { log "plugnmeet-recorder ${RECORDER_VERSION} ${arch}: cached"; return 0; }
  local work src
  work=$(mktemp -d)
  unpack_upstream "plugNmeet-recorder-${RECORDER_VERSION}" "${work}"
  unpack_upstream "plugnmeet-protocol-${RECORDER_PROTOCOL_VERSION}" "${work}"
  src="${work}/plugNmeet-recorder-${RECORDER_VERSION}"
  # The recorder imports the protocol module, which the proxy refuses too: a workspace ties the two snapshots.
  (cd "${src}" && go work init . "../plugnmeet-protocol-${RECORDER_PROTOCOL_VERSION}")
  mkdir -p "${work}/stage" "${out}"
  go_build "${src}" "${arch}" "${work}/stage/${bin}" .
  cp "${src}/config_sample.yaml" "${work}/stage/"
  (cd "${work}/stage" && touch -d @0 "${bin}" config_sample.yaml && zip -X -q "${out}/${bin}.zip" "${bin}" config_sample.yaml)
  write_sums "${out}" SHA256SUMS "${bin}.zip"
  rm -rf "${work}"
}

build_server() {
  local arch="$1" out="${ARTIFACTS_DIR}/plugnmeet-server/${SERVER_VERSION}/$1"
  local bin="plugnmeet-server-linux-${arch}"
  [ -s "${out}/SHA256SUMS" ] && { log "plugnmeet-server ${SERVER_VERSION} ${arch}: cached"; return 0; }
  mkdir -p "${out}"
  bash "${REPO_ROOT}/tools/upstream/build-server.sh" "${out}/${bin}" "${arch}"
  write_sums "${out}" SHA256SUMS "${bin}"
}

# The web client is the same for every architecture: client.zip sits beside the architecture directories.
build_client() {
  local out="${ARTIFACTS_DIR}/plugnmeet-client/${CLIENT_VERSION}"
  [ -s "${out}/SHA256SUMS" ] && { log "plugnmeet-client ${CLIENT_VERSION}: cached"; return 0; }
  mkdir -p "${out}"
  bash "${REPO_ROOT}/tools/upstream/build-client.sh" "${out}/client.zip"
  write_sums "${out}" SHA256SUMS client.zip
}

# The server image, rebuilt when its recipe or the binary changes (the archive's name carries their hash).
build_server_image() {
  local arch="$1" dir="${ARTIFACTS_DIR}/plugnmeet-server/${SERVER_VERSION}/$1" recipe="${REPO_ROOT}/tools/upstream/server-image"
  local bin="plugnmeet-server-linux-${arch}" hash archive context
  hash=$(cat "${recipe}/Dockerfile" "${dir}/SHA256SUMS" <(docker image inspect -f '{{.Id}}' pnm-lab/debian12:latest) |
    sha256sum | cut -c1-12)
  archive="${dir}/plugnmeet-server-image-${hash}.tar"
  [ -s "${archive}" ] && { log "plugnmeet-server image ${arch}: cached ($(basename "${archive}"))"; return 0; }
  context=$(mktemp -d)
  cp "${recipe}/Dockerfile" "${context}/"
  cp "${dir}/${bin}" "${context}/plugnmeet-server"
  docker build --quiet --platform "linux/${arch}" --tag "${SERVER_IMAGE}" "${context}" >/dev/null
  docker save --output "${archive}.partial" "${SERVER_IMAGE}"
  mv "${archive}.partial" "${archive}"
  find "${dir}" -name 'plugnmeet-server-image-*.tar' ! -name "$(basename "${archive}")" -delete
  rm -rf "${context}"
}

main() {
  local names=() arch name rc=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --arch) ARCHES="${2//,/ }"; shift 2 ;;
      nats | livekit | recorder | server | client | server-image) names+=("$1"); shift ;;
      *) die "unknown argument: $1 (usage: $0 [--arch amd64,arm64] [nats|livekit|recorder|server|client|server-image]...)" ;;
    esac
  done
  [ "${#names[@]}" -gt 0 ] || names=(nats livekit recorder server client server-image)
  command -v go >/dev/null || die "Go is needed to build the artifacts"
  for name in "${names[@]}"; do
    if [ "${name}" = client ]; then
      timed "artifact client" build_client || rc=$?
      continue
    fi
    for arch in ${ARCHES}; do
      timed "artifact ${name} ${arch}" "build_${name//-/_}" "${arch}" || rc=$?
    done
  done
  return "${rc}"
}

main "$@"
