#!/usr/bin/env bash
# Everything the lab and the tests need on this machine, each step timed. Idempotent; warm it takes seconds.
#   Docker Engine + mmdebstrap (Debian packages), dockerd running, the lab's host images, the controller's Python
#   venv, and the pinned artifacts: nats-server and livekit-server from the Go module proxy, plugnmeet-recorder,
#   plugnmeet-server, the web client and the server's image from upstream's source snapshots (tools/upstream/).
# A missing artifact is an error: every scenario runs the real programs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  local start
  start=$(date +%s)
  timed "engine (docker.io, mmdebstrap, dockerd)" bash "${REPO_ROOT}/tools/engine.sh"
  timed "controller venv" bash "${REPO_ROOT}/tools/bootstrap.sh"
  # The images (mostly downloading and unpacking Debian packages) build while the artifacts compile: cold on this
  # 2-core machine, setup took 828 s against 1031 s one after the other. Their log is printed when both are done.
  local images_log images_pid images_rc=0 artifacts_rc=0
  images_log=$(mktemp)
  timed "lab host images" bash "${REPO_ROOT}/tools/images.sh" >"${images_log}" 2>&1 &
  images_pid=$!
  timed "artifacts" bash "${REPO_ROOT}/tools/artifacts.sh" || artifacts_rc=$?
  wait "${images_pid}" || images_rc=$?
  cat "${images_log}" >&2
  rm -f "${images_log}"
  [ "${artifacts_rc}" -eq 0 ] || die "the artifacts failed (log above)"
  [ "${images_rc}" -eq 0 ] || die "the lab host images failed (log above)"
  log "setup done in $(( $(date +%s) - start ))s"
}

main "$@"
