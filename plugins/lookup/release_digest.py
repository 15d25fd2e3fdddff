# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: release_digest
short_description: The sha256 digest a GitHub release lists for one of its assets
version_added: 0.1.0
description:
  - Reads the release's metadata from GitHub's release API (C(GET /repos/<owner>/<repo>/releases/tags/<tag>)) and
    returns the C(digest) of the asset named O(asset), as 64 lowercase hex digits. GitHub computes it on upload, so a
    release whose publisher ships no checksums file can still be verified.
  - Fails, naming the asset, when the release does not list the asset or lists it without a sha256 digest.
  - Runs on the controller; nothing is cached.
options:
  _terms:
    description: URL of the release's metadata.
    type: list
    elements: str
    required: true
  asset:
    description: Name of the asset whose digest is wanted.
    type: str
    required: true
  timeout:
    description: Seconds to wait for the answer.
    type: int
    default: 30
  validate_certs:
    description: Verify the TLS certificate of the URL.
    type: bool
    default: true
author:
  - plugnmeet.deploy maintainers (@plugnmeet-deploy)
'''

EXAMPLES = r'''
- name: Download the web client, verified against the digest GitHub lists for it
  ansible.builtin.get_url:
    url: https://github.com/mynaparrot/plugNmeet-client/releases/download/v2.4.0/client.zip
    dest: /tmp/client.zip
    mode: "0644"
    checksum: "sha256:{{ lookup('plugnmeet.deploy.release_digest',
      'https://api.github.com/repos/mynaparrot/plugNmeet-client/releases/tags/v2.4.0', asset='client.zip') }}"
'''

RETURN = r'''
_raw:
  description: The asset's sha256, 64 lowercase hex digits (one per URL given).
  type: list
  elements: str
'''

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.urls import open_url
from ansible.plugins.lookup import LookupBase

from ansible_collections.plugnmeet.deploy.plugins.module_utils import artifacts


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        asset = self.get_option('asset')
        digests = []
        for url in terms:
            try:
                response = open_url(url, timeout=self.get_option('timeout'),
                                    validate_certs=self.get_option('validate_certs'),
                                    headers={'Accept': 'application/vnd.github+json'})
                digest = artifacts.sha256_from_release_metadata(to_text(response.read()), asset)
            except artifacts.ArtifactError as exc:
                raise AnsibleLookupError('%s: %s' % (url, to_native(exc)))
            except Exception as exc:
                raise AnsibleLookupError('reading the release metadata %s failed: %s' % (url, to_native(exc)))
            if digest is None:
                raise AnsibleLookupError('%s lists no sha256 digest for %s' % (url, asset))
            digests.append(digest)
        return digests
