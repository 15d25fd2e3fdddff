#!/usr/bin/env bash
# ansible-test sanity on a copy of the tree laid out as ansible_collections/plugnmeet/deploy (ansible-test needs
# that path). Its per-test virtual environments are cached by ansible-test under ~/.ansible/test.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  # A private copy per run: concurrent runs must not delete each other's tree.
  work=$(mktemp -d)
  trap 'rm -rf "${work}"' EXIT
  local root="${work}/ansible_collections/plugnmeet/deploy"
  # ansible-test bootstraps pip in its venvs with a script from a host this network cannot reach.
  mkdir -p "$HOME/.ansible/test/cache"
  cp "${REPO_ROOT}/tools/ansible-test/get_pip_shim.py" "$HOME/.ansible/test/cache/get_pip_24_2.py"
  mkdir -p "${root}"
  (cd "${REPO_ROOT}" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "${root}")
  cd "${root}"
  "${REPO_ROOT}/.venv/bin/ansible-test" sanity --venv --python 3.11 --color no "$@"
}

main "$@"
