# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight filters; each is documented in plugins/filter/<name>.yml."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.plugnmeet.deploy.plugins.module_utils import network, preflight


def inventory_problems(groups, hostvars, hosts):
    try:
        return preflight.inventory_problems(groups, hostvars, hosts)
    except network.NetworkError as exc:
        raise AnsibleFilterError('inventory_problems: %s' % to_native(exc))


def unreachable_problems(groups, hostvars, unreachable):
    return preflight.unreachable_problems(groups, hostvars, unreachable)


def port_problems(ports, host):
    return preflight.port_problems(host, ports)


class FilterModule(object):

    def filters(self):
        return {'inventory_problems': inventory_problems, 'port_problems': port_problems,
                'unreachable_problems': unreachable_problems}
