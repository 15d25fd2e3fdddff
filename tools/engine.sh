#!/usr/bin/env bash
# Install Docker Engine, mmdebstrap and the other Debian packages the tools use, and make sure dockerd answers.
# Idempotent: when dockerd already answers this takes well under a second.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

start_dockerd() {
  docker_answers && return 0
  need_root
  # Started directly and detached: the packaged init script raises `ulimit -n` past this machine's hard limit,
  # fails, and mounts extra cgroup hierarchies on the way.
  log "starting dockerd (log: /var/log/pnm-dockerd.log)"
  setsid nohup /usr/sbin/dockerd --storage-driver=overlay2 >/var/log/pnm-dockerd.log 2>&1 </dev/null &
  echo $! >"${PNM_CACHE_DIR}/dockerd.pid"
  local i
  for i in $(seq 1 120); do
    docker_answers && return 0
    sleep 0.5
  done
  tail -n 30 /var/log/pnm-dockerd.log >&2 || true
  die "dockerd did not answer within 60s"
}

main() {
  mkdir -p "${PNM_CACHE_DIR}"
  # zip packs the artifacts like upstream's releases; ffmpeg runs the recorder capacity module's real encode test;
  # Ansible reaches the lab hosts with ssh (tools/lab/ssh_config).
  apt_install docker.io mmdebstrap rsync zip ffmpeg openssh-client
  # The docker CLI may come from elsewhere on PATH; any client that negotiates the API version works.
  command -v docker >/dev/null || die "no docker client on PATH after installing docker.io"
  start_dockerd
}

main "$@"
