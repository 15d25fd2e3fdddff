# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real preflight play (playbooks/preflight.yml) against generated inventories: each mistake an operator makes is
refused with a message that says what to change, and a sound inventory passes with nothing changed.

No host is needed. Every inventory host runs on the controller (connection local), and its facts come from a fact
cache: the controller's own facts, gathered once, with each host's address, release, architecture and size set as the
case needs. Molecule's journey scenario runs a refused phase against real hosts and checks that nothing changed.
The figures (cases refused of those tried) go into docs/reliability.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from .conftest import COLLECTIONS_ROOT, REPO_ROOT, _ansible_playbook, _clean_environment

PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'preflight.yml')
DIGEST = 'sha256:' + '0' * 64
# The offline client.zip every case finds (an empty zip).
EMPTY_ZIP = b'PK\x05\x06' + b'\x00' * 18

# name -> (groups, facts); facts: address, Debian major release, architecture, vCPUs, memory in MiB.
HOSTS_BY_PHASE = {
    1: {
        'main': (['plugnmeet_servers', 'livekit_servers', 'nats_servers', 'databases', 'redis_servers',
                  'loadbalancers'], {'address': '10.20.0.10'}),
        'rec1': (['recorders'], {'address': '10.20.0.21'}),
        'rec2': (['recorders'], {'address': '10.20.0.22', 'major': '13'}),
    },
}
HOSTS_BY_PHASE[3] = dict(HOSTS_BY_PHASE[1], **{
    'app2': (['plugnmeet_servers', 'livekit_servers', 'nats_servers'], {'address': '10.20.0.11', 'major': '13'}),
    'nats3': (['nats_servers'], {'address': '10.20.0.12'}),
})
HOSTS_BY_PHASE[2] = HOSTS_BY_PHASE[1]


def inventory(phase):
    """A sound inventory of the phase's shape: {'all': ...} plus the facts of each host."""
    groups, hosts, facts = {}, {}, {}
    for host, (names, host_facts) in HOSTS_BY_PHASE.get(phase, HOSTS_BY_PHASE[1]).items():
        hosts[host] = {}
        for name in names:
            groups.setdefault(name, {'hosts': {}})['hosts'][host] = None
        facts[host] = dict({'major': '12', 'arch': 'x86_64', 'vcpus': 4, 'memory': 8192}, **host_facts)
    for host in groups['livekit_servers']['hosts']:
        # Explicit: the lab's clients reach LiveKit on its private address.
        hosts[host]['plugnmeet_public_address'] = facts[host]['address']
    return {'all': {'vars': {'plugnmeet_domain': 'meet.example.com', 'haproxy_tls_mode': 'selfsigned'},
                    'hosts': hosts, 'children': groups}}, facts


def host_vars(document, host):
    return document['all']['hosts'][host]


def set_all(**variables):
    return lambda document, facts, files: document['all']['vars'].update(variables)


def set_host(host, **variables):
    return lambda document, facts, files: host_vars(document, host).update(variables)


def set_facts(host, **values):
    return lambda document, facts, files: facts[host].update(values)


def move(host, to_group):
    def change(document, facts, files):
        document['all']['children'].setdefault(to_group, {'hosts': {}})['hosts'][host] = None
    return change


def add_host(host, group, address):
    def change(document, facts, files):
        document['all']['hosts'][host] = {}
        document['all']['children'][group]['hosts'][host] = None
        facts[host] = {'address': address, 'major': '12', 'arch': 'x86_64', 'vcpus': 2, 'memory': 4096}
    return change


def unreachable(host, forget_facts=False):
    """The host refuses the connection (ssh to a closed port on loopback); forget_facts: no facts cached for it."""
    def change(document, facts, files):
        host_vars(document, host).update(ansible_connection='ssh', ansible_host='127.0.0.1', ansible_port=1)
        if forget_facts:
            facts.pop(host)
    return change


def remove_group(group):
    return lambda document, facts, files: document['all']['children'].pop(group)


def secrets_file(mode=0o600, **values):
    def change(document, facts, files):
        files['secrets'] = (yaml.safe_dump(values), mode)
    return change


def env(**values):
    def change(document, facts, files):
        files.setdefault('env', {}).update(values)
    return change


# id -> (phase, changes, what the message must say). Every case is one mistake on an otherwise sound inventory.
CASES = {
    # The inventory's shape
    'phase out of range': (4, [], 'value of preflight_phase must be one of: 1, 2, 3, got: 4'),
    'no recorder host': (1, [remove_group('recorders')], 'The inventory has no host in the group recorders'),
    'no database': (1, [remove_group('databases')], 'or set plugnmeet_server_db_host'),
    'no domain': (1, [set_all(plugnmeet_domain='')], 'Set plugnmeet_domain'),
    'single-label domain': (1, [set_all(plugnmeet_domain='localhost')], 'Set plugnmeet_domain'),
    'recorder beside live media': (1, [move('rec1', 'livekit_servers')], 'rec1 is in recorders and also in'),
    'phase 3 with one server': (3, [lambda d, f, x: d['all']['children']['plugnmeet_servers']['hosts'].pop('app2')],
                                'Add one, or run phase 1 or 2'),
    'phase 3 without redis for livekit': (3, [remove_group('redis_servers'),
                                              set_all(plugnmeet_server_redis_host='10.20.0.99')],
                                          'Several LiveKit nodes need Redis'),
    # Addresses
    'private address not on the host': (1, [set_host('rec1', plugnmeet_private_address='10.20.0.99')],
                                        'rec1: plugnmeet_private_address 10.20.0.99 is not an address of this host'),
    'two names, one address': (1, [set_facts('rec2', address='10.20.0.21')],
                               'rec1 and rec2 have the same private address 10.20.0.21'),
    'only public addresses': (1, [set_facts('rec1', address='45.33.0.7')],
                              'rec1: its only address is public (45.33.0.7)'),
    'livekit behind nat': (1, [lambda d, f, x: host_vars(d, 'main').pop('plugnmeet_public_address')],
                           'main: LiveKit would announce 10.20.0.10 to clients'),
    # Clusters
    'even nats in phase 1': (1, [add_host('nats2', 'nats_servers', '10.20.0.12')], 'nats_servers has 2 hosts'),
    'even nats in phase 3': (3, [lambda d, f, x: d['all']['children']['nats_servers']['hosts'].pop('nats3')],
                             'it needs an odd number of at least 3 hosts'),
    # Platforms
    'debian 11 recorder': (1, [set_facts('rec1', major='11')], 'rec1 runs Debian 11; plugnmeet.deploy installs on'),
    'ubuntu nats-only host': (3, [set_facts('nats3', distribution='Ubuntu', major='24')],
                              'nats3 runs Ubuntu 24; plugnmeet.deploy installs on'),
    'unsupported architecture': (1, [set_facts('rec2', arch='ppc64le')], 'rec2 is ppc64le'),
    'checksums pinned for amd64 only': (1, [set_facts('rec2', arch='aarch64'),
                                            set_all(recorder_checksums={'amd64': DIGEST})],
                                        'recorder_checksums pins amd64 only, but rec2 is arm64'),
    # Ports
    'nats monitor on the server port': (1, [set_all(nats_monitor_port=8080)],
                                        'nats_monitor_port, plugnmeet_server_port all use port 8080'),
    'redis on the mariadb port': (1, [set_all(redis_port=3306)], 'mariadb_port, redis_port all use port 3306'),
    'livekit on https': (1, [set_all(livekit_port=443)], 'haproxy_https_port, livekit_port all use port 443'),
    'nats ports clash': (1, [set_all(nats_cluster_port=4222)], 'nats_client_port (4222)'),
    'livekit ports clash': (1, [set_all(livekit_rtc_tcp_port=7880)], 'must be distinct ports'),
    'media range below 1024': (1, [set_all(livekit_rtc_port_range_start=500)], 'must lie within 1024..65535'),
    # SSH
    'ansible_port not opened': (1, [set_host('rec1', ansible_port=2222, base_firewall_ssh_port=22)],
                                'rec1: Ansible connects on port 2222'),
    'ssh sources exclude the controller': (1, [set_all(base_firewall_ssh_sources=['10.0.0.0/8']),
                                               env(SSH_CONNECTION='192.0.2.50 50000 10.20.0.10 22')],
                                           'Ansible reaches this host from 192.0.2.50'),
    'no ssh source': (1, [set_all(base_firewall_ssh_sources=[])], 'must list at least one address'),
    'ssh source not a network': (1, [set_all(base_firewall_ssh_sources=['admins'])],
                                 "base_firewall_ssh_sources: 'admins' is not an IP address or network"),
    # Data and paths
    'database named test': (1, [set_all(mariadb_database='test')], 'mariadb_database is test, a database MariaDB'),
    'database user root': (1, [set_all(mariadb_user='root')], 'not root'),
    'mariadb on every address': (1, [set_all(mariadb_bind_address='0.0.0.0')], 'not all addresses'),
    'collation of another charset': (1, [set_all(mariadb_collation='latin1_swedish_ci')],
                                     'must belong to mariadb_character_set'),
    'recordings outside the shared path': (1, [set_all(recorder_recordings_path='/srv/recordings')],
                                           'recorder_recordings_path (/srv/recordings) points elsewhere'),
    'relative shared path': (1, [set_all(shared_storage_path='recordings')], 'absolute paths'),
    'unknown storage method': (1, [set_all(shared_storage_method='ftp')],
                               'value of shared_storage_method must be one of: nfs, sshfs, none, got: ftp'),
    # Secrets
    'world-readable secrets file': (1, [secrets_file(mode=0o644)], 'can be read by other users (mode 0644)'),
    'short livekit secret': (1, [secrets_file(livekit_api_secret='a1' * 12)],
                             'livekit_api_secret is shorter than 32 characters'),
    'secret with punctuation': (1, [secrets_file(redis_password='pass-word-with-dash')],
                                'redis_password may only contain letters and digits'),
    # Hosts that do not answer: only recorders whose address is known can be left out
    'unreachable server': (1, [unreachable('main')], 'main is unreachable: only recorder hosts can be left out'),
    'unreachable recorder, address unknown': (1, [unreachable('rec2', forget_facts=True)],
                                              'recorder rec2 is unreachable and its private address is unknown'),
    'every recorder unreachable': (1, [unreachable('rec1'), unreachable('rec2')],
                                   'every recorder host is unreachable (rec1, rec2)'),
    # Versions and settings of the roles
    'nats too old': (1, [set_all(nats_version='2.9.25')], 'at least 2.10'),
    'livekit version not a release': (1, [set_all(livekit_version='latest')], 'livekit_version must be a release'),
    'recorder max_limit above 10': (1, [set_all(recorder_max_limit=11)], 'recorder_max_limit auto or between'),
    'recorder mode unknown': (1, [set_all(recorder_mode='record')],
                              'value of recorder_mode must be one of: both, recorderOnly, transcoderOnly'),
    'duplicate recorder id': (1, [set_host('rec2', recorder_id='rec1')], 'recorder_id'),
    'tls mode unknown': (1, [set_all(haproxy_tls_mode='letsencrypt')], 'haproxy_tls_mode'),
    'udp buffer too small': (1, [set_all(base_udp_buffer_bytes=65536)], 'must be at least 1048576'),
    'port not a number': (1, [set_all(redis_port='six')], 'redis_port'),
    'webhook not a url': (1, [set_all(livekit_webhook_urls=['plugnmeet:8080/webhook'])],
                          'must be an http(s) URL'),
    'web client offline copy that is not the pinned one': (
        1, [set_all(plugnmeet_server_client_sha256='0' * 64)], 'has sha256 ' + hashlib.sha256(EMPTY_ZIP).hexdigest()
        + ', not ' + '0' * 64),
}


def write_case(directory, phase, changes, template):
    """The inventory, fact cache and secrets file of one case; returns (inventory path, cache dir, extra env)."""
    document, facts = inventory(phase)
    files = {}
    for change in changes:
        change(document, facts, files)
    artifacts = directory / 'artifacts'
    (artifacts / 'plugnmeet-client' / '2.4.0').mkdir(parents=True)
    (artifacts / 'plugnmeet-client' / '2.4.0' / 'client.zip').write_bytes(EMPTY_ZIP)
    secrets = directory / 'plugnmeet-secrets.yml'
    if 'secrets' in files:
        text, mode = files['secrets']
        secrets.write_text(text)
        os.chmod(str(secrets), mode)
    # The case's own settings win (an online case unsets the artifact directory).
    document['all']['vars'] = dict({
        'plugnmeet_secrets_file': str(secrets), 'plugnmeet_artifacts_dir': str(artifacts),
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}, **document['all']['vars'])
    path = directory / 'hosts.yml'
    path.write_text(yaml.safe_dump(document, default_flow_style=False))
    cache = directory / 'facts'
    cache.mkdir()
    for host, values in facts.items():
        write_facts(cache, template, host, values)
    return path, cache, files.get('env', {})


def write_facts(cache, template, host, values):
    """The template host's cached facts, as this host: its address, release, architecture, vCPUs and memory."""
    name, wrapper = template
    wrapped = copy.deepcopy(wrapper)
    facts = json.loads(wrapped['__payload__'])
    facts['ansible_default_ipv4'] = dict(facts.get('ansible_default_ipv4') or {}, address=values['address'])
    facts['ansible_all_ipv4_addresses'] = [values['address']]
    facts['ansible_all_ipv6_addresses'] = []
    facts['ansible_default_ipv6'] = {}
    facts.update({
        'ansible_distribution': values.get('distribution', 'Debian'),
        'ansible_distribution_major_version': values['major'],
        'ansible_distribution_version': values['major'],
        'ansible_architecture': values['arch'],
        'ansible_processor_vcpus': values['vcpus'],
        'ansible_processor_nproc': values['vcpus'],
        'ansible_memtotal_mb': values['memory'],
        'ansible_hostname': host,
    })
    wrapped['__payload__'] = json.dumps(facts)
    (cache / name.replace('template', host)).write_text(json.dumps(wrapped))


def environment(cache, extra):
    result = _clean_environment()
    result.pop('SSH_CONNECTION', None)
    result.pop('SSH_CLIENT', None)
    result.update({
        'ANSIBLE_CONFIG': os.path.join(REPO_ROOT, 'ansible.cfg'),
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_ROOT,
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_GATHERING': 'smart',
        'ANSIBLE_CACHE_PLUGIN': 'ansible.builtin.jsonfile',
        'ANSIBLE_CACHE_PLUGIN_CONNECTION': str(cache),
    })
    result.update(extra)
    return result


def run_preflight(directory, phase, changes, template):
    path, cache, extra = write_case(directory, phase, changes, template)
    proc = subprocess.run([_ansible_playbook(), '-i', str(path), PLAYBOOK, '-e', 'preflight_phase=%d' % phase],
                          env=environment(cache, extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=600, check=False)
    return proc.returncode, ' '.join(proc.stdout.split())


@pytest.fixture(scope='module')
def template(tmp_path_factory):
    """The controller's facts, gathered once into a jsonfile fact cache under the host name 'template'."""
    if _ansible_playbook() is None:
        pytest.skip('ansible-playbook is not installed next to this Python')
    directory = tmp_path_factory.mktemp('template')
    (directory / 'hosts.yml').write_text(yaml.safe_dump({'all': {'hosts': {'template': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}}))
    (directory / 'gather.yml').write_text('- hosts: all\n  gather_facts: true\n  tasks: []\n')
    cache = directory / 'facts'
    proc = subprocess.run([_ansible_playbook(), '-i', str(directory / 'hosts.yml'), str(directory / 'gather.yml')],
                          env=environment(cache, {}), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    (name,) = [entry for entry in os.listdir(str(cache)) if entry.endswith('template')]
    return name, json.loads((cache / name).read_text())


# id -> (phase, changes, what the output must say): sound inventories that pass with a warning or a notice.
PASSED_WITH = {
    # Each 4-vCPU, 8 GiB recorder in mode both at 1920x1080 sustains 1 recording with 4 webcams, 2 with 1.
    'expected peak the recorders sustain': (1, [set_all(plugnmeet_expected_concurrent_recordings=2)],
                                            'ok: [rec1] => { "msg": "2 recorder hosts sustain 2 with 4 webcams; the '
                                            'expected peak is 2 with 4 webcams (100 % of what they sustain)" }'),
    'expected peak above the recorders': (1, [set_all(plugnmeet_expected_concurrent_recordings={1: 4, 4: 4})],
                                          'WARNING: 2 recorder hosts sustain 4 with 1 webcam, 2 with 4 webcams; the '
                                          'expected peak is 4 with 1 webcam, 4 with 4 webcams, 300 % of what they '
                                          'sustain: add 4 recorder hosts like rec1 (4 vCPUs, 8192 MiB, sustaining 2 '
                                          'with 1 webcam, 1 with 4 webcams each) or lower the expected peak'),
}


# A recorder host down (its facts cached by an earlier run): the run goes on for the others and ends with status 4.
LEFT_OUT = (1, [unreachable('rec2'), set_all(plugnmeet_expected_concurrent_recordings=1)])


@pytest.fixture(scope='module')
def outcomes(template, tmp_path_factory):
    """Every case and the sound inventories, run two at a time: id -> (return code, output)."""
    runs = dict(('sound phase %d' % phase, (phase, [])) for phase in (1, 2, 3))
    runs.update((case, (phase, changes)) for case, (phase, changes, _message) in CASES.items())
    runs.update((case, (phase, changes)) for case, (phase, changes, _message) in PASSED_WITH.items())
    runs['recorder left out'] = LEFT_OUT

    def one(item):
        case, (phase, changes) = item
        return case, run_preflight(tmp_path_factory.mktemp('case'), phase, changes, template)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, runs.items()))


def test_there_are_enough_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize('phase', [1, 2, 3])
def test_a_sound_inventory_passes_and_changes_nothing(outcomes, phase):
    code, output = outcomes['sound phase %d' % phase]
    assert code == 0, output[-3000:]
    assert ' changed=0 ' in output and ' failed=0 ' in output, output[-3000:]


@pytest.mark.parametrize('case', sorted(PASSED_WITH))
def test_a_sound_inventory_passes_with_what_preflight_notes(outcomes, case):
    code, output = outcomes[case]
    assert code == 0, output[-3000:]
    assert PASSED_WITH[case][2] in output, output[-3000:]


@pytest.mark.parametrize('case', sorted(CASES))
def test_a_mistake_is_refused_with_what_to_change(outcomes, case):
    code, output = outcomes[case]
    assert code != 0, '%s: preflight passed' % case
    assert CASES[case][2] in output, output[-3000:]
    assert ' changed=1' not in output, output[-3000:]


def test_a_recorder_host_that_is_down_is_left_out_of_the_run(outcomes):
    code, output = outcomes['recorder left out']
    assert code == 4, output[-3000:]
    assert 'fatal: [rec2]: UNREACHABLE!' in output
    assert '1 recorder host sustains' in output and '; left out, not reachable: rec2' in output, output[-3000:]
    assert 'rec2 : ok=0 changed=0 unreachable=1 failed=0' in output, output[-3000:]
    assert ' main : ok=' in output and 'rec1 : ok=' in output and output.count(' failed=0 ') == 3, output[-3000:]
