# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Addresses from the inventory: which address of a host to use, who may reach a port, cluster route URLs.

Used by filter plugins on the controller. Needs netaddr.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import netaddr
    HAS_NETADDR = True
except ImportError:  # pragma: no cover
    HAS_NETADDR = False


class NetworkError(ValueError):
    """Inventory or facts that do not give a usable address; the message says what to set."""


def _require():
    if not HAS_NETADDR:
        raise NetworkError('the Python library netaddr is required on the controller (pip install netaddr)')


def parse_address(value, what='address'):
    """An IP address (no prefix), validated; raises NetworkError."""
    _require()
    try:
        return netaddr.IPAddress(str(value).strip())
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise NetworkError('%s %r is not an IP address' % (what, value))


def is_private(address):
    """RFC 1918, CGNAT 100.64/10, IPv6 ULA fc00::/7 and loopback count as private."""
    ip = parse_address(address)
    return ip.is_loopback() or not ip.is_global() or ip in netaddr.IPNetwork('100.64.0.0/10')


def _facts(host, hostvars):
    facts = hostvars.get('ansible_facts') or {}
    if not facts.get('default_ipv4') and not facts.get('all_ipv4_addresses') and not facts.get('default_ipv6'):
        raise NetworkError('no network facts for host %s: gather facts for it first (a play over all hosts with '
                           'gather_facts: true), or set plugnmeet_private_address for it' % host)
    return facts


def _candidates(facts):
    ordered = []
    for key in ('default_ipv4', 'default_ipv6'):
        address = (facts.get(key) or {}).get('address')
        if address:
            ordered.append(address)
    ordered.extend(facts.get('all_ipv4_addresses') or [])
    ordered.extend(a for a in facts.get('all_ipv6_addresses') or [] if not a.lower().startswith('fe80'))
    seen, result = set(), []
    for address in ordered:
        if address not in seen:
            seen.add(address)
            result.append(address)
    return result


def private_address(host, hostvars):
    """The address other hosts of the deployment use to reach this one.

    plugnmeet_private_address when set; else the first private address among the host's facts (default route
    first); else the default route's address.
    """
    explicit = hostvars.get('plugnmeet_private_address')
    if explicit:
        return str(parse_address(explicit, 'plugnmeet_private_address of %s:' % host))
    candidates = _candidates(_facts(host, hostvars))
    for address in candidates:
        if not parse_address(address).is_loopback() and is_private(address):
            return address
    if candidates:
        return candidates[0]
    raise NetworkError('host %s has no usable address in its facts: set plugnmeet_private_address' % host)


def public_address(host, hostvars):
    """The address clients on the internet reach this host at (LiveKit's node_ip).

    plugnmeet_public_address when set (needed behind NAT, where the host cannot see its public address); else the
    first global address in the facts; else the private address.
    """
    explicit = hostvars.get('plugnmeet_public_address')
    if explicit:
        return str(parse_address(explicit, 'plugnmeet_public_address of %s:' % host))
    for address in _candidates(_facts(host, hostvars)):
        if not is_private(address):
            return address
    return private_address(host, hostvars)


def group_addresses(groups, hostvars, group_names):
    """Sorted private addresses of every host in the given groups (missing groups count as empty)."""
    if isinstance(group_names, str):
        group_names = [group_names]
    hosts = []
    for name in group_names:
        for host in groups.get(name) or []:
            if host not in hosts:
                hosts.append(host)
    addresses = set()
    for host in hosts:
        if host not in hostvars:
            raise NetworkError('host %s of the inventory has no variables (is it in this play\'s inventory?)' % host)
        addresses.add(private_address(host, hostvars[host]))
    return sorted(addresses, key=lambda a: (parse_address(a).version, parse_address(a)))


def host_port(address, port):
    """address:port, with IPv6 addresses in brackets."""
    text = str(address)
    if ':' in text and not text.startswith('['):
        parse_address(text)
        text = '[%s]' % text
    return '%s:%s' % (text, int(port))


def route_urls(addresses, port, scheme='nats-route', exclude=None):
    """Cluster route URLs to every address but `exclude` (this node)."""
    excluded = set()
    if exclude:
        excluded.add(str(parse_address(exclude)))
    return ['%s://%s' % (scheme, host_port(a, port)) for a in addresses if str(parse_address(a)) not in excluded]


def subject_alt_names(names):
    """A certificate's subject alternative names: IP:<address> for addresses, DNS:<name> for the rest; entries
    already written as IP:/DNS: are kept; order kept, duplicates dropped."""
    _require()  # without netaddr every address would pass for a DNS name
    result = []
    for value in names:
        text = str(value).strip()
        if not text.startswith(('IP:', 'DNS:')):
            try:
                text = 'IP:%s' % parse_address(text.strip('[]'))
            except NetworkError:
                text = 'DNS:%s' % text
        if text not in result:
            result.append(text)
    return result


def address_in(address, networks):
    """Whether an address lies in any of the given addresses or CIDR networks (an allowlist)."""
    ip = parse_address(address)
    for value in networks or []:
        try:
            if ip in netaddr.IPNetwork(str(value).strip()):
                return True
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise NetworkError('%r is not an IP address or network' % (value,))
    return False


def split_families(addresses, what=None):
    """{'ipv4': [...], 'ipv6': [...]} of addresses or CIDRs, for firewall rules that need one family each.

    `what` names the setting the list came from, for the error message.
    """
    _require()
    result = {'ipv4': [], 'ipv6': []}
    for value in addresses:
        try:
            network = netaddr.IPNetwork(str(value).strip())
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise NetworkError('%s%r is not an IP address or network' % ('%s: ' % what if what else '', value))
        text = str(network.ip) if network.size == 1 else str(network.cidr)
        family = 'ipv4' if network.version == 4 else 'ipv6'
        if text not in result[family]:
            result[family].append(text)
    return result
