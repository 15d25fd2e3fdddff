# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/module_utils/network.py: which address of a host is used, allowlists, route URLs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.plugnmeet.deploy.plugins.module_utils import network


def facts(*addresses):
    return {'ansible_facts': {'default_ipv4': {'address': addresses[0]}, 'all_ipv4_addresses': list(addresses)}}


def test_private_address_prefers_a_private_one_then_the_explicit_setting():
    assert network.private_address('h', facts('45.33.0.7', '10.0.0.5')) == '10.0.0.5'
    assert network.private_address('h', facts('45.33.0.7')) == '45.33.0.7'
    assert network.private_address('h', dict(facts('10.0.0.5'), plugnmeet_private_address='10.1.0.1')) == '10.1.0.1'
    with pytest.raises(network.NetworkError, match='gather facts'):
        network.private_address('h', {})


def test_public_address_prefers_a_global_one():
    assert network.public_address('h', facts('10.0.0.5', '45.33.0.7')) == '45.33.0.7'
    assert network.public_address('h', facts('10.0.0.5')) == '10.0.0.5'


@pytest.mark.parametrize('address,networks,expected', [
    ('10.0.0.5', ['10.0.0.0/8'], True),
    ('10.0.0.5', ['192.168.0.0/16', '10.0.0.5'], True),
    ('45.33.0.7', ['10.0.0.0/8', '::/0'], False),
    ('2001:db8::1', ['::/0'], True),
    ('10.0.0.5', [], False),
])
def test_address_in(address, networks, expected):
    assert network.address_in(address, networks) is expected


def test_address_in_refuses_a_bad_network():
    with pytest.raises(network.NetworkError, match='not an IP address or network'):
        network.address_in('10.0.0.5', ['ten'])


def test_host_port_and_routes():
    assert network.host_port('fd00::1', 4222) == '[fd00::1]:4222'
    assert network.route_urls(['10.0.0.1', '10.0.0.2'], 6222, exclude='10.0.0.1') == ['nats-route://10.0.0.2:6222']
    assert network.split_families(['10.0.0.0/24', 'fd00::1', '10.0.0.0/24']) == {'ipv4': ['10.0.0.0/24'],
                                                                                 'ipv6': ['fd00::1']}


def test_subject_alt_names_tell_addresses_from_names():
    assert network.subject_alt_names(['10.0.0.5', 'fd00::5', '[fd00::6]', 'node1', 'DNS:nats.example', '10.0.0.5',
                                      'IP:127.0.0.1']) == [
        'IP:10.0.0.5', 'IP:fd00::5', 'IP:fd00::6', 'DNS:node1', 'DNS:nats.example', 'IP:127.0.0.1']


def test_subject_alt_names_need_netaddr_rather_than_calling_addresses_names(monkeypatch):
    monkeypatch.setattr(network, 'HAS_NETADDR', False)
    with pytest.raises(network.NetworkError, match='netaddr is required'):
        network.subject_alt_names(['10.0.0.5'])


def test_split_families_names_the_setting_of_a_bad_entry():
    with pytest.raises(network.NetworkError, match="base_firewall_ssh_sources: 'admins' is not an IP address"):
        network.split_families(['10.0.0.0/8', 'admins'], what='base_firewall_ssh_sources')
