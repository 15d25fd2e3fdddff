#!/usr/bin/env bash
# Build the lab's systemd host images (Debian 12 and 13) from this machine's own apt mirror.
# No registry is needed: mmdebstrap makes a root filesystem tarball, `docker import` turns it into an image.
# The tarball is cached outside the repository, keyed by a hash of the recipe, so a fresh dockerd needs only the
# import (seconds) and an unchanged recipe needs nothing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGE_REPO="pnm-lab"
# What every lab host has before any role runs: systemd as PID 1 and what Ansible needs to manage it.
BASE_PACKAGES="systemd,systemd-sysv,dbus,python3,python3-apt,sudo,iproute2,procps,ca-certificates,curl,gnupg"
# What a managed host adds: sshd, which Ansible reaches through `docker exec HOST nc 127.0.0.1 22` (one docker exec per
# connection instead of one per task: a sixth less CPU for a trivial task, docs/testing.md). The host keys made when the
# image is built are the same on every host of an image: these are throwaway lab hosts, reached without host key checks.
MANAGED_PACKAGES="openssh-server,netcat-openbsd"

host_codename() { . /etc/os-release && echo "${VERSION_CODENAME}"; }

# An image's recipe: how it is built (build_image itself), the apt sources, the suite and the packages. Editing
# anything else in this file rebuilds nothing.
recipe_hash() {
  local suite="$1" sources="$2" packages="$3"
  { declare -f build_image; cat "${sources}"; echo "${suite} ${packages}"; } | sha256sum | cut -c1-12
}

# build_image NAME SUITE [EXTRA_PACKAGES]: EXTRA_PACKAGES (comma-separated) are added to BASE_PACKAGES.
build_image() {
  local name="$1" suite="$2" packages="${BASE_PACKAGES}${3:+,$3}" sources_file hash tarball tmp
  sources_file=$(host_apt_sources)
  hash=$(recipe_hash "${suite}" "${sources_file}" "${packages}")
  if docker image inspect "${IMAGE_REPO}/${name}:${hash}" >/dev/null 2>&1; then
    docker tag "${IMAGE_REPO}/${name}:${hash}" "${IMAGE_REPO}/${name}:latest"
    log "${IMAGE_REPO}/${name}:${hash} is up to date"
    return 0
  fi
  mkdir -p "${PNM_CACHE_DIR}/images"
  tarball="${PNM_CACHE_DIR}/images/${name}-${hash}.tar"
  if [ ! -s "${tarball}" ]; then
    need_root
    tmp=$(mktemp -d)
    # The same mirror as this machine, with the suite names swapped for the target release.
    sed "s/\b$(host_codename)\b/${suite}/g" "${sources_file}" >"${tmp}/debian.sources"
    log "mmdebstrap ${suite} -> ${tarball}"
    mmdebstrap --quiet --variant=minbase --include="${packages}" \
      --customize-hook='chroot "$1" systemctl mask systemd-remount-fs.service getty.target console-getty.service systemd-logind.service systemd-modules-load.service' \
      --customize-hook='truncate -s 0 "$1/etc/machine-id"' \
      --customize-hook='rm -f "$1/etc/hostname"' \
      "${suite}" "${tmp}/rootfs.tar" "${tmp}/debian.sources"
    mv "${tmp}/rootfs.tar" "${tarball}"
    rm -rf "${tmp}"
    # Old recipes' tarballs are never used again.
    find "${PNM_CACHE_DIR}/images" -name "${name}-*.tar" ! -name "${name}-${hash}.tar" -delete
  fi
  log "docker import ${tarball}"
  docker import -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' \
    "${tarball}" "${IMAGE_REPO}/${name}:${hash}" >/dev/null
  docker tag "${IMAGE_REPO}/${name}:${hash}" "${IMAGE_REPO}/${name}:latest"
  forget_old_images "${name}" "${hash}"
}

# Images of old recipes are never used again.
forget_old_images() { # forget_old_images NAME HASH
  docker images --format '{{.Repository}}:{{.Tag}}' "${IMAGE_REPO}/$1" |
    grep -v -e ":$2\$" -e ':latest$' | xargs -r docker rmi >/dev/null || true
}

# The meeting participant (tools/lab/meeting.py): not a managed host but a user's machine on the lab network, a
# browser with a fake camera and microphone whose DevTools port socat opens to the controller.
PARTICIPANT_PACKAGES="chromium,socat,fonts-dejavu-core"

# The heavy packages of the server and recorder roles, read from the roles themselves (comma-separated): the journey
# scenario's hosts start with them, so its many stages do not unpack LibreOffice and Chromium again and again (the
# roles find them installed; the recorder scenario and the lab still install them on plain hosts).
heavy_packages() { # heavy_packages SUITE
  "${REPO_ROOT}/.venv/bin/python" - "$1" "${REPO_ROOT}" <<'PYTHON'
import sys, yaml
suite, root = sys.argv[1], sys.argv[2]
def load(path):
    with open(f"{root}/roles/{path}") as handle:
        return yaml.safe_load(handle)
recorder, server = load("recorder/vars/main.yml"), load("plugnmeet_server/vars/main.yml")
packages = (recorder["__recorder_packages"] + recorder["__recorder_browser_packages"]["chromium"]
            + load("recorder/defaults/main.yml")["recorder_font_packages"]
            + server["__plugnmeet_server_runtime_packages"][suite])
print(",".join(sorted(set(packages))))
PYTHON
}

# The key Ansible logs in to managed lab hosts with (tools/lab/vars/lab_host.yml mounts its public half).
lab_ssh_key() {
  local key="${PNM_CACHE_DIR}/lab-ssh/id_ed25519"
  [ -s "${key}" ] && [ -s "${key}.pub" ] && return 0
  mkdir -p -m 0700 "${PNM_CACHE_DIR}/lab-ssh"
  rm -f "${key}" "${key}.pub"
  ssh-keygen -q -t ed25519 -N '' -C plugnmeet-lab -f "${key}"
  log "made ${key}"
}

main() {
  lab_ssh_key
  build_image debian12 bookworm "${MANAGED_PACKAGES}"
  build_image debian13 trixie "${MANAGED_PACKAGES}"
  build_image participant bookworm "${PARTICIPANT_PACKAGES}"
  build_image debian12-full bookworm "${MANAGED_PACKAGES},$(heavy_packages bookworm)"
  build_image debian13-full trixie "${MANAGED_PACKAGES},$(heavy_packages trixie)"
}

main "$@"
