#!/usr/bin/env bash
# Build the real plugNmeet web client, packaged as upstream's release workflow packages it (client.zip holding
# client/LICENSE and client/dist/...), from the unmodified upstream snapshots in shared/upstream (see its README.md).
# Two packages the client needs are missing from the npm registry here, so the build substitutes them:
#   - plugnmeet-protocol-js is built from the plugnmeet-protocol snapshot, with the protos buf would fetch from the
#     Buf registry taken from the protovalidate snapshot and the Go module github.com/livekit/protocol;
#   - vite-plugin-oxlint (a lint-only build plugin) is taken one patch release older.
# Network: the npm registry and the Go module proxy only. Caches: pnpm and its store under ${PNM_CACHE_DIR}.
#
# usage: tools/upstream/build-client.sh OUTPUT_ZIP
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

CLIENT_VERSION="2.4.0"
# The plugnmeet-protocol-js release the client's package.json pins.
PROTOCOL_VERSION="1.5.0"
PROTOVALIDATE_VERSION="1.2.2"
# Upstream releases with pnpm 11, which needs Node 22.13+; pnpm 10 runs on this machine's Node 20.
PNPM_VERSION="10.34.9"
# The client pins 2.1.2, which the npm registry here answers with 404.
OXLINT_PLUGIN_VERSION="2.1.1"

[ "$#" -eq 1 ] || die "usage: $0 OUTPUT_ZIP"
for cmd in node npm go python3; do
  command -v "${cmd}" >/dev/null || die "${cmd} is needed to build the plugNmeet client"
done
apt_install zip

upstream_dir="${PNM_UPSTREAM_DIR:-${REPO_ROOT}/../shared/upstream}"
mkdir -p "$(dirname "$1")"
out_dir="$(cd "$(dirname "$1")" && pwd)"
out="${out_dir}/$(basename "$1")"
store="${PNM_CACHE_DIR}/pnpm-store"
pnpm_prefix="${PNM_CACHE_DIR}/tools/pnpm-${PNPM_VERSION}"

# Update checks would reach out on every command; husky would install git hooks (there is no repository).
export npm_config_update_notifier=false HUSKY=0
# Unset, as in upstream's CI: vite build then sets production itself (no source maps), while an inherited
# NODE_ENV=production would make pnpm install skip the devDependencies (vite) and any other value change the build.
unset NODE_ENV

work="" tmp_out=""
cleanup() { rm -rf "${work}" "${tmp_out}"; }
trap cleanup EXIT
work="$(mktemp -d)"

install_pnpm() {
  local stage="${pnpm_prefix}.partial.$$"
  # Installed beside its final place and moved there whole, so an interrupted install is never reused.
  rm -rf "${stage}" &&
    npm install --prefix "${stage}" --no-save --no-package-lock --no-audit --no-fund "pnpm@${PNPM_VERSION}" &&
    mv "${stage}" "${pnpm_prefix}"
}

unpack() {
  local name
  for name in "$@"; do
    [ -f "${upstream_dir}/${name}.tar.gz" ] || { log "missing ${upstream_dir}/${name}.tar.gz"; return 1; }
    tar -xzf "${upstream_dir}/${name}.tar.gz" -C "${work}" || return 1
    [ -d "${work}/${name}" ] || { log "${name}.tar.gz did not unpack into ${name}/"; return 1; }
  done
}

# package CLIENT_DIR ZIP: the release workflow's steps (version.txt, LICENSE and dist/ under client/, zip -X -r).
package() {
  local src="$1" zip="$2" stage="${work}/release"
  echo "v${CLIENT_VERSION}" >"${src}/dist/version.txt" &&
    mkdir -p "${stage}/client" &&
    cp -a "${src}/LICENSE" "${src}/dist" "${stage}/client/" &&
    (cd "${stage}" && zip -q -X -r "${zip}" client)
}

if [ -x "${pnpm_prefix}/node_modules/.bin/pnpm" ]; then
  log "pnpm ${PNPM_VERSION}: cached"
else
  timed "install pnpm ${PNPM_VERSION}" install_pnpm || die "installing pnpm ${PNPM_VERSION} failed"
fi
# On PATH too, for package scripts that call pnpm.
export PATH="${pnpm_prefix}/node_modules/.bin:${PATH}"

client="${work}/plugNmeet-client-${CLIENT_VERSION}"
protocol="${work}/plugnmeet-protocol-${PROTOCOL_VERSION}"
timed "unpack the upstream snapshots" unpack "plugNmeet-client-${CLIENT_VERSION}" \
  "plugnmeet-protocol-${PROTOCOL_VERSION}" "protovalidate-${PROTOVALIDATE_VERSION}" ||
  die "unpacking the upstream snapshots from ${upstream_dir} failed"

# The protos buf takes from outside: the protocol's js/buf.yaml expects them under ../tmp/, as its generate.sh
# arranges with the Go module cache and the Buf registry.
livekit_version="$(awk '$1 == "github.com/livekit/protocol" { print $2 }' "${protocol}/go.mod")"
[ -n "${livekit_version}" ] || die "github.com/livekit/protocol is not in plugnmeet-protocol's go.mod"
livekit_json="$(cd "${work}" && go mod download -json "github.com/livekit/protocol@${livekit_version}")" ||
  die "go mod download github.com/livekit/protocol@${livekit_version} failed: ${livekit_json}"
livekit_dir="$(printf '%s' "${livekit_json}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
[ -d "${livekit_dir}/protobufs" ] || die "no protobufs/ in ${livekit_dir}"
mkdir -p "${protocol}/tmp/livekit-protocol" "${protocol}/tmp/protovalidate/proto"
ln -s "${livekit_dir}/protobufs" "${protocol}/tmp/livekit-protocol/protobufs"
ln -s "${work}/protovalidate-${PROTOVALIDATE_VERSION}/proto/protovalidate" "${protocol}/tmp/protovalidate/proto/"

# Upstream's buf.gen.yaml, with protovalidate read from the local copy instead of the Buf registry.
buf_gen="${work}/buf.gen.local.yaml"
sed 's|^\( *\)- module: buf\.build/bufbuild/protovalidate$|\1- directory: ../tmp/protovalidate/proto/protovalidate|' \
  "${protocol}/js/buf.gen.yaml" >"${buf_gen}"
if grep -q 'module:' "${buf_gen}"; then
  die "plugnmeet-protocol's js/buf.gen.yaml still names a Buf registry module after rewriting: ${buf_gen}"
fi

log "plugNmeet client ${CLIENT_VERSION}: plugnmeet-protocol-js ${PROTOCOL_VERSION}, livekit protocol ${livekit_version}, pnpm ${PNPM_VERSION}"
js="${protocol}/js"
timed "plugnmeet-protocol-js: pnpm install" pnpm -C "${js}" install --frozen-lockfile --store-dir "${store}" ||
  die "pnpm install of plugnmeet-protocol-js failed"
timed "plugnmeet-protocol-js: buf generate" pnpm -C "${js}" exec buf generate --template "${buf_gen}" ||
  die "buf generate of plugnmeet-protocol-js failed"
timed "plugnmeet-protocol-js: build" pnpm -C "${js}" run build || die "building plugnmeet-protocol-js failed"
timed "plugnmeet-protocol-js: pack" pnpm -C "${js}" pack --pack-destination "${work}" >/dev/null ||
  die "pnpm pack of plugnmeet-protocol-js failed"
protocol_tgz="${work}/plugnmeet-protocol-js-${PROTOCOL_VERSION}.tgz"
[ -f "${protocol_tgz}" ] || die "pnpm pack did not write ${protocol_tgz}"

# The two substitutes, as overrides in the client's workspace file (the copy in ${work}).
if grep -q '^overrides:' "${client}/pnpm-workspace.yaml"; then
  die "the client's pnpm-workspace.yaml already has overrides"
fi
printf 'overrides:\n  plugnmeet-protocol-js: "file:%s"\n  vite-plugin-oxlint: "%s"\n' \
  "${protocol_tgz}" "${OXLINT_PLUGIN_VERSION}" >>"${client}/pnpm-workspace.yaml"
# The overrides change the lockfile, so it cannot be frozen.
timed "client: pnpm install" pnpm -C "${client}" install --no-frozen-lockfile --store-dir "${store}" ||
  die "pnpm install of the client failed"
timed "client: build" pnpm -C "${client}" run build || die "building the client failed"
for f in index.html assets/config_sample.js; do
  [ -f "${client}/dist/${f}" ] || die "the client build has no dist/${f}"
done

timed "client: package client.zip" package "${client}" "${work}/client.zip" || die "packaging client.zip failed"
tmp_out="$(mktemp "${out}.XXXXXX")"
cp "${work}/client.zip" "${tmp_out}"
chmod 0644 "${tmp_out}"
mv -f "${tmp_out}" "${out}"
tmp_out=""
log "wrote ${out}"
