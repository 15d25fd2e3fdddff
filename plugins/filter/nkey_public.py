# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: nkey_public
short_description: The public key of a NATS nkey seed
version_added: 0.1.0
description:
  - Derives the public key (C(A...) account, C(U...) user, C(X...) curve, ...) of a NATS nkey seed (C(S...)).
  - The seed never leaves the controller; only the public half goes into C(nats-server.conf).
options:
  _input:
    description: An nkey seed.
    type: str
    required: true
  kind:
    description: When set, fail unless the seed is of this kind.
    type: str
    choices: [account, user, curve, operator, server, cluster]
author:
  - plugnmeet.deploy maintainers (@plugnmeet-deploy)
'''

EXAMPLES = r'''
- name: The auth callout issuer's public key for nats-server.conf
  ansible.builtin.set_fact:
    issuer_public: "{{ secrets.nats_auth_callout_issuer_seed | plugnmeet.deploy.nkey_public(kind='account') }}"
'''

RETURN = r'''
_value:
  description: The public key.
  type: str
  sample: ADX5QZ5RLK2IVOXNPRUFB2GNYNRM5QWAUKXSZT6TYEFT5E5LO7ZJ2MVO
'''

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native, to_text

from ansible_collections.plugnmeet.deploy.plugins.module_utils import nkeys


def nkey_public(seed, kind=None):
    try:
        found, _raw = nkeys.decode_seed(to_text(seed))
        if kind is not None and found != kind:
            raise nkeys.NkeyError('expected a %s seed, got a %s seed' % (kind, found))
        return nkeys.public_key(to_text(seed))
    except nkeys.NkeyError as exc:
        # The message never contains the seed itself.
        raise AnsibleFilterError('nkey_public: %s' % to_native(exc))


class FilterModule(object):

    def filters(self):
        return {'nkey_public': nkey_public}
