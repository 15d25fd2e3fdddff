#!/usr/bin/env bash
# Build the lab's systemd host images (Debian 12 and 13) from this machine's own apt mirror.
# No registry is needed: mmdebstrap makes a root filesystem tarball, `docker import` turns it into an image.
# The tarball is cached outside the repository, keyed by a hash of the recipe, so a fresh dockerd needs only the
# import (seconds) and an unchanged recipe needs nothing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGE_REPO="pnm-lab"
# What every lab host has before any role runs: systemd as PID 1 and what Ansible needs to manage it.
BASE_PACKAGES="systemd,systemd-sysv,dbus,python3,python3-apt,sudo,iproute2,procps,ca-certificates,curl,gnupg"

host_codename() { . /etc/os-release && echo "${VERSION_CODENAME}"; }

recipe_hash() {
  local suite="$1" sources="$2" packages="$3"
  { cat "${BASH_SOURCE[0]}"; cat "${sources}"; echo "${suite} ${packages}"; } | sha256sum | cut -c1-12
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
}

# The meeting participant (tools/lab/meeting.py): not a managed host but a user's machine on the lab network, a
# browser with a fake camera and microphone whose DevTools port socat opens to the controller.
PARTICIPANT_PACKAGES="chromium,socat,fonts-dejavu-core"

main() {
  build_image debian12 bookworm
  build_image debian13 trixie
  build_image participant bookworm "${PARTICIPANT_PACKAGES}"
}

main "$@"
