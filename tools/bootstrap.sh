#!/usr/bin/env bash
# Controller setup: the pinned Python venv and the checkout linked in as the collection plugnmeet.deploy.
# The venv lives in the cache (keyed by requirements.txt), `.venv` points at it: a fresh clone of an unchanged
# tree needs no pip at all.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_venv() {
  local key target
  key=$( { python3 --version; cat "${REPO_ROOT}/requirements.txt"; } | sha256sum | cut -c1-12)
  target="${PNM_CACHE_DIR}/venv/${key}"
  if [ ! -x "${target}/bin/ansible-playbook" ] || [ ! -f "${target}/.complete" ]; then
    log "creating the Python venv ${target}"
    rm -rf "${target}"
    mkdir -p "${PNM_CACHE_DIR}/venv"
    python3 -m venv "${target}"
    "${target}/bin/pip" install --quiet --upgrade pip
    "${target}/bin/pip" install --quiet -r "${REPO_ROOT}/requirements.txt"
    touch "${target}/.complete"
  fi
  ln -sfn "${target}" "${REPO_ROOT}/.venv"
}

# Ansible finds the checkout as plugnmeet.deploy through ansible.cfg's collections_path.
link_collection() {
  mkdir -p "${REPO_ROOT}/.collections/ansible_collections/plugnmeet"
  ln -sfn ../../.. "${REPO_ROOT}/.collections/ansible_collections/plugnmeet/deploy"
}

main() {
  command -v python3 >/dev/null || apt_install python3 python3-venv
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11 or newer is needed"
  python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
  make_venv
  link_collection
}

main "$@"
