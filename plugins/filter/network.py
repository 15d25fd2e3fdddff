# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Address filters; each is documented in plugins/filter/<name>.yml."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.plugnmeet.deploy.plugins.module_utils import network


def _wrap(function):
    def filter_function(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except network.NetworkError as exc:
            raise AnsibleFilterError('%s: %s' % (function.__name__, to_native(exc)))
    filter_function.__name__ = function.__name__
    return filter_function


def private_address(host, hostvars):
    return network.private_address(host, hostvars[host])


def public_address(host, hostvars):
    return network.public_address(host, hostvars[host])


def group_addresses(groups, hostvars, group_names):
    return network.group_addresses(groups, hostvars, group_names)


def host_port(address, port):
    return network.host_port(address, port)


def route_urls(addresses, port, scheme='nats-route', exclude=None):
    return network.route_urls(addresses, port, scheme=scheme, exclude=exclude)


def split_families(addresses, what=None):
    return network.split_families(addresses, what=what)


def address_in(address, networks):
    return network.address_in(address, networks)


def subject_alt_names(names):
    return network.subject_alt_names(names)


class FilterModule(object):

    def filters(self):
        return dict((f.__name__, _wrap(f)) for f in (
            private_address, public_address, group_addresses, host_port, route_urls, split_families, address_in,
            subject_alt_names))
