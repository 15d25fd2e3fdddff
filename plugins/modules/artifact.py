#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: artifact
short_description: Resolve, verify and unpack a pinned release archive on the controller
version_added: 0.1.0
description:
  - Runs on the controller (it is an action plugin), once for every architecture among O(hosts_arch).
  - Takes the archive from the offline directory O(source_dir), or downloads it into O(cache_dir) from
    O(mirror_url) or from upstream O(url). All three use the layout C(<root>/<name>/<version>/<arch>/<archive>).
  - Verifies the archive's sha256 for B(every) architecture, against O(checksums) when pinned, else against the
    release's checksums file O(checksums_file) from the same source, else (upstream downloads only) against the
    digest the publisher's release metadata O(release_metadata_url) lists for the archive. Fails, naming what to
    set, when none exists.
  - A downloaded archive that fails verification is deleted from the cache.
  - Unpacks each verified archive once into C(<cache_dir>/<name>/<version>/<arch>/unpacked-<sha256 prefix>),
    atomically, refusing members that would land outside that directory (unless O(unpack) is false).
  - An archive that serves every architecture (O(arch_independent)) has no C(<arch>) level in the layout, and its
    results are keyed by V(all).
  - Only the controller's cache changes, so it runs in check mode too; the hosts are changed by the tasks that
    copy the unpacked files.
options:
  name:
    description: Artifact name, the first level of the layout (for example V(livekit-server)).
    type: str
    required: true
  version:
    description: Release version without a leading C(v).
    type: str
    required: true
  archive:
    description: Archive file name; C({version}) and C({arch}) are replaced.
    type: str
    required: true
  url:
    description: Upstream download URL; C({version}), C({arch}) and C({archive}) are replaced. The checksums file
      is fetched from the same URL with C({archive}) replaced by its name.
    type: str
    required: true
  checksums_file:
    description: Name of the sha256sum-format file that lists the archive (V(checksums.txt), V(SHA256SUMS)).
      Empty when there is none.
    type: str
    default: ''
  upstream_checksums:
    description: Whether upstream publishes O(checksums_file). When false, only the offline directory and the
      mirror are asked for it, and online installs need O(checksums).
    type: bool
    default: true
  release_metadata_url:
    description:
      - URL of the release's metadata on the publisher, GitHub's release API
        (C(https://api.github.com/repos/<owner>/<repo>/releases/tags/v{version})); C({version}) is replaced. Its
        C(assets) list gives each file's C(digest) (C(sha256:<hex>), computed by GitHub on upload).
      - Used only to download from upstream O(url) when no checksum is pinned and no checksums file exists.
    type: str
    default: ''
  checksums:
    description: Pinned sha256 by architecture (V(amd64), V(arm64)); C(sha256:) prefix optional. Wins over
      any checksums file.
    type: dict
    default: {}
  hosts_arch:
    description: Each host's C(ansible_facts.architecture), by host name.
    type: dict
    required: true
  arch_independent:
    description: The same archive serves every architecture (a web client). Its layout is
      C(<root>/<name>/<version>/<archive>), and O(checksums) and the results are keyed by V(all).
    type: bool
    default: false
  unpack:
    description: Whether to unpack the archive on the controller. When false, the caller unpacks RV(archive) where it
      needs it (for example with M(ansible.builtin.unarchive) on the hosts).
    type: bool
    default: true
  source_dir:
    description: Offline artifact directory on the controller. Nothing is downloaded when set.
    type: path
  mirror_url:
    description: Base URL of a mirror with the same layout as O(source_dir).
    type: str
  cache_dir:
    description: Controller directory for downloads and unpacked archives.
    type: path
    required: true
  validate_certs:
    description: Verify TLS certificates of downloads.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: Changes only the controller's cache, which check mode needs to report the hosts' changes correctly.
  diff_mode:
    support: none
  platform:
    support: N/A
extends_documentation_fragment:
  - plugnmeet.deploy.attributes
author:
  - plugnmeet.deploy maintainers (@plugnmeet-deploy)
'''

EXAMPLES = r'''
- name: Resolve livekit-server for every architecture in the play
  plugnmeet.deploy.artifact:
    name: livekit-server
    version: 1.13.5
    archive: livekit_{version}_linux_{arch}.tar.gz
    url: https://github.com/livekit/livekit/releases/download/v{version}/{archive}
    checksums_file: checksums.txt
    hosts_arch: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, arch_fact))) }}"
    cache_dir: ~/.cache/plugnmeet-deploy/artifacts
  vars:
    arch_fact: [ansible_facts, architecture]
  run_once: true
  register: livekit_artifact

- name: Resolve the recorder, whose release has no checksums file, by the digests GitHub lists for its assets
  plugnmeet.deploy.artifact:
    name: plugnmeet-recorder
    version: 2.3.0
    archive: plugnmeet-recorder-linux-{arch}.zip
    url: https://github.com/mynaparrot/plugNmeet-recorder/releases/download/v{version}/{archive}
    release_metadata_url: https://api.github.com/repos/mynaparrot/plugNmeet-recorder/releases/tags/v{version}
    hosts_arch: {rec1: x86_64}
    cache_dir: ~/.cache/plugnmeet-deploy/artifacts
  run_once: true

- name: Resolve the web client, one zip for every architecture, verified but not unpacked on the controller
  plugnmeet.deploy.artifact:
    name: plugnmeet-client
    version: 2.4.0
    archive: client.zip
    url: https://github.com/mynaparrot/plugNmeet-client/releases/download/v{version}/{archive}
    checksums_file: SHA256SUMS
    upstream_checksums: false
    release_metadata_url: https://api.github.com/repos/mynaparrot/plugNmeet-client/releases/tags/v{version}
    arch_independent: true
    unpack: false
    hosts_arch: {main1: x86_64, main2: aarch64}
    cache_dir: ~/.cache/plugnmeet-deploy/artifacts
  run_once: true
  register: client_artifact
'''

RETURN = r'''
arch_by_host:
  description: The release architecture of every host.
  returned: success
  type: dict
  sample: {main1: amd64, rec1: arm64}
archive:
  description: Controller path of the verified archive, by architecture (V(all) with O(arch_independent)).
  returned: success
  type: dict
  sample: {all: /root/.cache/plugnmeet-deploy/artifacts/plugnmeet-client/2.4.0/client.zip}
unpacked:
  description: Controller directory of the unpacked archive, by architecture (none when O(unpack) is false).
  returned: success
  type: dict
  sample: {amd64: /root/.cache/plugnmeet-deploy/artifacts/livekit-server/1.13.5/amd64/unpacked-0123456789abcdef}
sha256:
  description: Verified sha256 of each architecture's archive.
  returned: success
  type: dict
  sample: {amd64: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}
downloaded:
  description: URLs downloaded by this run.
  returned: success
  type: list
  elements: str
unpacked_now:
  description: Architectures unpacked by this run.
  returned: success
  type: list
  elements: str
'''
