#!/usr/bin/env bash
# Build the collection artifact and prove it installs offline and works from the installed copy.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  # Global, not local: the EXIT trap runs after main has returned.
  work=$(mktemp -d)
  trap 'rm -rf "${work}"' EXIT
  cd "${REPO_ROOT}"
  ansible-galaxy collection build --force --output-path "${work}" . >/dev/null
  local tarball
  tarball=$(ls "${work}"/plugnmeet-deploy-*.tar.gz)
  log "built $(basename "${tarball}") ($(du -h "${tarball}" | cut -f1))"
  # Only the fresh install may be visible, not the checkout linked into .collections.
  export ANSIBLE_COLLECTIONS_PATH="${work}/collections"
  # Dependencies come from the venv's ansible bundle; --no-deps keeps galaxy (unreachable) out of it.
  ansible-galaxy collection install --offline --no-deps -p "${work}/collections" "${tarball}" >/dev/null
  local installed="${work}/collections/ansible_collections/plugnmeet/deploy"
  for path in roles/nats roles/common plugins/action/secrets.py playbooks/phase1_split_recorder.yml; do
    [ -e "${installed}/${path}" ] || die "the built collection lacks ${path}"
  done
  for path in tools .ci .venv; do
    [ ! -e "${installed}/${path}" ] || die "the built collection ships ${path}"
  done
  [ -z "$(find "${installed}" -name 'plugnmeet-secrets.yml')" ] || die "the built collection ships a secrets file"
  [ -e "${REPO_ROOT}/inventories/lab/plugnmeet-secrets.yml" ] && log "(the lab's secrets file exists and was left out)"

  ansible-doc plugnmeet.deploy.secrets >/dev/null
  ansible-doc -t filter plugnmeet.deploy.nkey_public >/dev/null
  ansible-doc -t role plugnmeet.deploy.nats >/dev/null
  # By their fully qualified names, as users of the installed collection run them.
  local playbook
  for playbook in phase1_split_recorder phase2_vertical_scale phase3_horizontal_scale; do
    # (Against localhost only: the groups the plays name are empty, which is no news.)
    (cd "${work}" && ANSIBLE_HOST_PATTERN_MISMATCH=ignore ansible-playbook --syntax-check -i localhost, \
      "plugnmeet.deploy.${playbook}" >/dev/null) ||
      die "plugnmeet.deploy.${playbook} does not load from the installed collection"
  done
  log "the built collection installs offline; docs and playbooks load from it"
}

main "$@"
