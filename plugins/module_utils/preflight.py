# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks across the hosts of an inventory that no single role can make: addresses, platforms, cluster sizes,
pinned checksums, and ports two services of one host would both listen on.

Each check returns messages that name the host or variable and say what to change; an empty list means fine.
Hosts without gathered facts (outside --limit) are skipped by the checks that need facts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.plugnmeet.deploy.plugins.module_utils import artifacts, network

SUPPORTED_RELEASES = {'Debian': ('12', '13')}
SUPPORTED_ARCHITECTURES = ('x86_64', 'aarch64')
# Which group's hosts download which pinned release: <role>_checksums maps architecture to sha256.
PINNED_CHECKSUMS = (('nats_checksums', 'nats_servers'), ('livekit_checksums', 'livekit_servers'),
                    ('recorder_checksums', 'recorders'))


def _facts(hostvars):
    facts = hostvars.get('ansible_facts') or {}
    return facts if facts.get('distribution') else None


def _host_addresses(facts):
    return set(facts.get('all_ipv4_addresses') or []) | set(
        str(a).split('%', maxsplit=1)[0].lower() for a in facts.get('all_ipv6_addresses') or [])


def address_problems(hosts, hostvars):
    """A private address the host does not have, one address shared by two hosts, internal traffic on a public
    address."""
    problems, owners = [], {}
    for host in hosts:
        variables = hostvars[host]
        facts = _facts(variables)
        if facts is None:
            continue
        explicit = variables.get('plugnmeet_private_address')
        address = network.private_address(host, variables)
        if explicit and str(network.parse_address(explicit)).lower() not in _host_addresses(facts):
            problems.append(
                '%s: plugnmeet_private_address %s is not an address of this host (it has %s). Set it to the address '
                'of the host\'s private network interface.'
                % (host, explicit, ', '.join(sorted(_host_addresses(facts))) or 'none'))
        if not network.is_private(address) and not variables.get('plugnmeet_allow_public_internal_traffic'):
            problems.append(
                '%s: its only address is public (%s), so MariaDB, Redis, NATS and the webhooks would travel the '
                'internet in clear text. Give the host a private network (a VLAN or a WireGuard tunnel) and set '
                'plugnmeet_private_address, or set plugnmeet_allow_public_internal_traffic: true if you accept that.'
                % (host, address))
        owners.setdefault(address, []).append(host)
    for address, names in sorted(owners.items()):
        if len(names) > 1:
            problems.append(
                '%s have the same private address %s: one machine must appear under one inventory name (put that name '
                'in several groups), or set plugnmeet_private_address for each.' % (' and '.join(names), address))
    return problems


def announced_address_problems(groups, hostvars):
    """A LiveKit node that would announce a private address to clients on the internet (behind NAT)."""
    problems = []
    for host in groups.get('livekit_servers') or []:
        variables = hostvars[host]
        if _facts(variables) is None or variables.get('plugnmeet_public_address') or variables.get('livekit_node_ip'):
            continue
        address = network.public_address(host, variables)
        if network.is_private(address):
            problems.append(
                '%s: LiveKit would announce %s to clients, a private address (the host is behind NAT, or has no '
                'public address). Set plugnmeet_public_address for it to the address clients reach it at; on a '
                'private-only network set it to %s explicitly.' % (host, address, address))
    return problems


def cluster_problems(groups):
    """NATS needs a majority: an even number of nodes tolerates no more failures than one node fewer."""
    count = len(groups.get('nats_servers') or [])
    if count > 1 and count % 2 == 0:
        return ['nats_servers has %d hosts: a NATS cluster needs an odd number (1, 3, 5) for its quorum. Remove one '
                'or add one (then run phase 3, which forms the cluster).' % count]
    return []


def platform_problems(hosts, hostvars):
    """Releases and architectures this collection installs on."""
    problems = []
    supported = ', '.join('%s %s' % (name, ' or '.join(releases)) for name, releases in SUPPORTED_RELEASES.items())
    for host in hosts:
        facts = _facts(hostvars[host])
        if facts is None:
            continue
        name, major = facts.get('distribution'), str(facts.get('distribution_major_version'))
        if major not in SUPPORTED_RELEASES.get(name, ()):
            problems.append('%s runs %s %s; plugnmeet.deploy installs on %s. Upgrade the host or replace it.'
                            % (host, name, facts.get('distribution_version') or major, supported))
        if facts.get('architecture') not in SUPPORTED_ARCHITECTURES:
            problems.append('%s is %s; the pinned releases exist for x86_64 (amd64) and aarch64 (arm64) only.'
                            % (host, facts.get('architecture')))
    return problems


def checksum_problems(groups, hostvars):
    """Pinned checksums that leave out the architecture of a host that downloads the release."""
    problems = []
    for variable, group in PINNED_CHECKSUMS:
        for host in groups.get(group) or []:
            variables = hostvars[host]
            pinned = variables.get(variable) or {}
            facts = _facts(variables)
            if not pinned or facts is None:
                continue
            arch = artifacts.ARCH_BY_MACHINE.get(facts.get('architecture'), facts.get('architecture'))
            if arch not in pinned:
                problems.append('%s pins %s only, but %s is %s: add its sha256 under %s, or remove %s to use '
                                'the checksums upstream publishes.'
                                % (variable, ', '.join(sorted(pinned)), host, arch, arch, variable))
    return problems


def port_problems(host, ports):
    """Ports (name -> number) two services of one host would both listen on."""
    owners = {}
    for name, port in sorted((ports or {}).items()):
        if port not in (None, '', 0, '0'):
            owners.setdefault(int(port), []).append(name)
    return ['%s: %s all use port %d; give each its own port.' % (host, ', '.join(names), port)
            for port, names in sorted(owners.items()) if len(names) > 1]


def inventory_problems(groups, hostvars, hosts):
    """Every cross-host check over the given hosts (the play's)."""
    scoped = dict((name, [h for h in members if h in hosts]) for name, members in groups.items())
    return (address_problems(hosts, hostvars) + announced_address_problems(scoped, hostvars)
            + cluster_problems(groups) + platform_problems(hosts, hostvars) + checksum_problems(scoped, hostvars))


def unreachable_problems(groups, hostvars, unreachable):
    """Why a run cannot go on without the unreachable hosts: only recorders may be left out (the other hosts run the
    services every recording needs), and the others still need each left-out recorder's private address for their
    allowlists, so that it can come back by itself (from plugnmeet_private_address or facts cached by an earlier run).
    """
    problems = []
    recorders = groups.get('recorders') or []
    for host in unreachable:
        if host not in recorders:
            problems.append('%s is unreachable: only recorder hosts can be left out of a run. Bring it back (or take '
                            'it out of the inventory) and run again.' % host)
            continue
        try:
            network.private_address(host, hostvars[host])
        except network.NetworkError:
            problems.append('recorder %s is unreachable and its private address is unknown (no facts cached by an '
                            'earlier run): the other hosts could not keep it in their allowlists. Set '
                            'plugnmeet_private_address for it, or run again once it is back.' % host)
    if recorders and not set(recorders) - set(unreachable):
        problems.append('every recorder host is unreachable (%s): nothing could record. Bring one back and run again.'
                        % ', '.join(recorders))
    return problems
