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
  timed "lab host images" bash "${REPO_ROOT}/tools/images.sh"
  timed "artifacts" bash "${REPO_ROOT}/tools/artifacts.sh"
  log "setup done in $(( $(date +%s) - start ))s"
}

main "$@"
