#!/usr/bin/env bash
# Everything the lab and the tests need on this machine, each step timed. Idempotent; warm it takes seconds.
#   Docker Engine + mmdebstrap (Debian packages), dockerd running, the lab's host images, the pinned artifacts
#   built from the Go module proxy, the controller's Python venv.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  local start
  start=$(date +%s)
  timed "engine (docker.io, mmdebstrap, dockerd)" bash "${REPO_ROOT}/tools/engine.sh"
  timed "controller venv" bash "${REPO_ROOT}/tools/bootstrap.sh"
  timed "lab host images" bash "${REPO_ROOT}/tools/images.sh"
  timed "artifacts (nats-server, livekit-server)" bash "${REPO_ROOT}/tools/artifacts.sh" nats livekit
  timed "plugnmeet-server stand-in (test code)" bash "${REPO_ROOT}/tools/standin.sh" >/dev/null
  # The recorder's module is not served by every Go proxy; what cannot be built is reported, not fatal here.
  timed "artifact (plugnmeet-recorder)" bash "${REPO_ROOT}/tools/artifacts.sh" recorder ||
    log "WARNING: no plugnmeet-recorder artifact; scenarios that need it will say so"
  log "setup done in $(( $(date +%s) - start ))s"
}

main "$@"
