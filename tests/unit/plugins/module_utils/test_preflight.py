# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/module_utils/preflight.py: the cross-host checks, on hand-made hostvars.

tests/preflight/ runs the same checks through the real preflight play against generated inventories.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.plugnmeet.deploy.plugins.module_utils import preflight


def host(address, distribution='Debian', major='12', architecture='x86_64', extra_addresses=(), **variables):
    facts = {'distribution': distribution, 'distribution_major_version': major, 'distribution_version': major,
             'architecture': architecture, 'default_ipv4': {'address': address},
             'all_ipv4_addresses': [address] + list(extra_addresses), 'all_ipv6_addresses': []}
    variables['ansible_facts'] = facts
    return variables


def problems(groups, hostvars):
    return preflight.inventory_problems(groups, hostvars, list(hostvars))


GROUPS = {'nats_servers': ['main'], 'livekit_servers': ['main'], 'recorders': ['rec1']}


def test_a_sound_inventory_has_no_problem():
    assert problems(GROUPS, {'main': host('10.0.0.1', plugnmeet_public_address='203.0.113.1'),
                             'rec1': host('10.0.0.2', major='13')}) == []


def test_a_private_address_the_host_does_not_have():
    found = problems(GROUPS, {'main': host('10.0.0.1', plugnmeet_public_address='203.0.113.1'),
                              'rec1': host('10.0.0.2', plugnmeet_private_address='10.0.0.9')})
    assert len(found) == 1 and 'rec1: plugnmeet_private_address 10.0.0.9 is not an address of this host' in found[0]


def test_two_names_with_one_address():
    found = problems(GROUPS, {'main': host('10.0.0.1', plugnmeet_public_address='203.0.113.1'),
                              'rec1': host('10.0.0.1')})
    assert found == [preflight.address_problems(['main', 'rec1'], {
        'main': host('10.0.0.1'), 'rec1': host('10.0.0.1')})[0]]
    assert 'main and rec1 have the same private address 10.0.0.1' in found[0]


def test_a_host_with_public_addresses_only_unless_accepted():
    found = problems(GROUPS, {'main': host('10.0.0.1', plugnmeet_public_address='203.0.113.1'),
                              'rec1': host('45.33.0.7')})
    assert len(found) == 1 and 'rec1: its only address is public (45.33.0.7)' in found[0]
    assert problems(GROUPS, {'main': host('10.0.0.1', plugnmeet_public_address='203.0.113.1'),
                             'rec1': host('45.33.0.7', plugnmeet_allow_public_internal_traffic=True)}) == []


def test_livekit_behind_nat_needs_its_public_address():
    found = problems(GROUPS, {'main': host('10.0.0.1'), 'rec1': host('10.0.0.2')})
    assert len(found) == 1 and 'main: LiveKit would announce 10.0.0.1' in found[0]
    assert 'plugnmeet_public_address' in found[0]
    # A public address in the facts, or livekit_node_ip set, is an answer too.
    assert problems(GROUPS, {'main': host('10.0.0.1', extra_addresses=['45.33.0.1']),
                             'rec1': host('10.0.0.2')}) == []
    assert problems(GROUPS, {'main': host('10.0.0.1', livekit_node_ip='10.0.0.1'), 'rec1': host('10.0.0.2')}) == []


def test_an_even_number_of_nats_nodes():
    assert preflight.cluster_problems({'nats_servers': ['a', 'b']})[0].startswith('nats_servers has 2 hosts')
    assert preflight.cluster_problems({'nats_servers': ['a', 'b', 'c', 'd']})
    assert preflight.cluster_problems({'nats_servers': ['a']}) == []
    assert preflight.cluster_problems({'nats_servers': ['a', 'b', 'c']}) == []


def test_platforms():
    hostvars = {'old': host('10.0.0.1', major='11'), 'ubuntu': host('10.0.0.2', distribution='Ubuntu', major='24'),
                'arm': host('10.0.0.3', architecture='aarch64'), 'ppc': host('10.0.0.4', architecture='ppc64le')}
    found = preflight.platform_problems(list(hostvars), hostvars)
    assert [message.split()[0] for message in found] == ['old', 'ubuntu', 'ppc']
    assert 'installs on Debian 12 or 13' in found[0]


def test_pinned_checksums_must_cover_every_architecture_of_the_group():
    pinned = {'amd64': 'sha256:' + '0' * 64}
    hostvars = {'main': host('10.0.0.1', nats_checksums=pinned),
                'arm': host('10.0.0.2', architecture='aarch64', nats_checksums=pinned)}
    found = preflight.checksum_problems({'nats_servers': ['main', 'arm']}, hostvars)
    assert len(found) == 1 and 'nats_checksums pins amd64 only, but arm is arm64' in found[0]
    assert preflight.checksum_problems({'nats_servers': ['main']}, hostvars) == []


def test_hosts_without_facts_are_skipped():
    assert problems(GROUPS, {'main': {'plugnmeet_private_address': '10.0.0.9'}, 'rec1': {}}) == []


def test_ports_two_services_share():
    assert preflight.port_problems('main', {'nats_monitor_port': 8080, 'plugnmeet_server_port': 8080,
                                            'livekit_prometheus_port': 0, 'redis_port': 6379}) == [
        'main: nats_monitor_port, plugnmeet_server_port all use port 8080; give each its own port.']
    assert preflight.port_problems('main', {'a': '0', 'b': 0, 'c': None}) == []


UNREACHABLE_GROUPS = {'plugnmeet_servers': ['main'], 'recorders': ['rec1', 'rec2']}


def test_a_run_goes_on_without_an_unreachable_recorder_whose_address_is_known():
    hostvars = {'main': host('10.0.0.1'), 'rec1': host('10.0.0.2'), 'rec2': host('10.0.0.3')}
    assert preflight.unreachable_problems(UNREACHABLE_GROUPS, hostvars, ['rec2']) == []
    hostvars['rec2'] = {'plugnmeet_private_address': '10.0.0.3'}
    assert preflight.unreachable_problems(UNREACHABLE_GROUPS, hostvars, ['rec2']) == []


def test_an_unreachable_recorder_without_a_known_address_is_a_problem():
    hostvars = {'main': host('10.0.0.1'), 'rec1': host('10.0.0.2'), 'rec2': {}}
    found = preflight.unreachable_problems(UNREACHABLE_GROUPS, hostvars, ['rec2'])
    assert len(found) == 1 and 'recorder rec2 is unreachable and its private address is unknown' in found[0]
    assert 'Set plugnmeet_private_address for it' in found[0]


def test_only_recorders_can_be_left_out():
    hostvars = {'main': host('10.0.0.1'), 'rec1': host('10.0.0.2'), 'rec2': host('10.0.0.3')}
    found = preflight.unreachable_problems(UNREACHABLE_GROUPS, hostvars, ['main'])
    assert found == ['main is unreachable: only recorder hosts can be left out of a run. Bring it back (or take it '
                     'out of the inventory) and run again.']
    found = preflight.unreachable_problems(UNREACHABLE_GROUPS, hostvars, ['rec1', 'rec2'])
    assert found == ['every recorder host is unreachable (rec1, rec2): nothing could record. Bring one back and run '
                     'again.']
