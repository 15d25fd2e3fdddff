# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/filter/recorder_sizing.py: recorder_max_limit and recorder_capacity_reason from a host's facts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.plugnmeet.deploy.plugins.filter.recorder_sizing import FilterModule
from ansible_collections.plugnmeet.deploy.plugins.module_utils import sizing

FILTERS = FilterModule().filters()
max_limit = FILTERS['recorder_max_limit']
capacity_reason = FILTERS['recorder_capacity_reason']

# What setup collects on a 2-vCPU, 4 GiB amd64 VM (the keys the filters use, plus some they ignore).
FACTS_2X2 = {
    'architecture': 'x86_64',
    'processor_vcpus': 2,
    'processor_nproc': 2,
    'processor_cores': 1,
    'processor_count': 2,
    'processor_threads_per_core': 1,
    'memtotal_mb': 3921,
    'memfree_mb': 3500,
    'distribution': 'Debian',
}


def test_filters_are_registered():
    assert sorted(FILTERS) == ['participant_estimate', 'recorder_capacity_reason', 'recorder_fleet', 'recorder_max_limit']
    assert all(callable(function) for function in FILTERS.values())


def test_max_limit_is_the_models_int():
    value = max_limit(FACTS_2X2, profile={'mode': 'recorderOnly'})
    assert isinstance(value, int)
    assert value == sizing.recommend({'vcpus': 2, 'memory_mb': 3921, 'architecture': 'x86_64'},
                                     {'mode': 'recorderOnly'})['max_limit']


def test_defaults_are_upstreams():
    """Without a profile: both, post_mp4_convert, 1920x1080@30 with 4 webcams."""
    result = capacity_reason(FACTS_2X2)
    assert result['profile']['mode'] == 'both'
    assert (result['profile']['width'], result['profile']['height']) == (1920, 1080)
    assert result['max_limit'] == max_limit(FACTS_2X2) == 1


def test_capacity_reason_is_the_whole_answer():
    result = capacity_reason(FACTS_2X2, profile={'mode': 'recorderOnly', 'webcams': 2})
    for key in ('max_limit', 'bound_by', 'undersized', 'reason', 'per_recording', 'reserves', 'limits'):
        assert key in result
    assert result['reason'].startswith('max_limit %d' % result['max_limit'])


def test_memory_override_for_a_container_limit():
    """Facts show the machine's 64 GiB; the container may use 1 GiB: undersized, said so."""
    facts = dict(FACTS_2X2, processor_vcpus=32, processor_nproc=32, memtotal_mb=65536)
    assert max_limit(facts) == 10
    result = capacity_reason(facts, memory_mb=1024)
    assert result['undersized'] is True and result['bound_by'] == 'memory'
    assert max_limit(facts, memory_mb=1024) == 1


def test_vcpus_override_for_a_quota():
    facts = dict(FACTS_2X2, processor_vcpus=32, processor_nproc=32, memtotal_mb=131072)
    assert max_limit(facts, vcpus=3.5, profile={'mode': 'recorderOnly'}) == 2
    assert capacity_reason(facts, vcpus=3.5)['host']['vcpus'] == 3.5


def test_measured_from_the_module():
    """The module's benchmark (or its whole result) replaces the encode estimate."""
    facts = dict(FACTS_2X2, processor_vcpus=4, processor_nproc=4, memtotal_mb=8192)
    benchmark = {'encode_vcpus': 0.08, 'width': 1920, 'height': 1080, 'framerate': 30, 'realtime_speed': 12.0}
    model = max_limit(facts, profile={'mode': 'recorderOnly'})
    assert max_limit(facts, profile={'mode': 'recorderOnly'}, measured=benchmark) > model
    whole = capacity_reason(facts, measured={'changed': False, 'benchmark': benchmark})
    assert whole['per_recording']['encode_source'] == 'measured'
    assert capacity_reason(facts, measured=None)['per_recording']['encode_source'] == 'model'


def test_hostvars_are_accepted():
    assert max_limit({'ansible_facts': FACTS_2X2, 'inventory_hostname': 'rec1'}) == max_limit(FACTS_2X2)


def test_cap_and_arm64():
    big_arm = {'architecture': 'aarch64', 'processor_vcpus': 64, 'memtotal_mb': 262144}
    assert max_limit(big_arm) == 10
    assert capacity_reason(big_arm)['host']['architecture'] == 'arm64'


@pytest.mark.parametrize('name', ['recorder_max_limit', 'recorder_capacity_reason'])
@pytest.mark.parametrize('facts,kwargs,message', [
    ({}, {}, 'no CPU count'),
    ({'architecture': 'x86_64', 'memtotal_mb': 2048}, {}, 'no CPU count'),
    (dict(FACTS_2X2, processor_vcpus=0, processor_nproc=0, processor_cores=0), {}, 'no CPU count'),
    ({'architecture': 'x86_64', 'processor_vcpus': 2}, {}, 'no memtotal_mb'),
    ({'processor_vcpus': 2, 'memtotal_mb': 2048}, {}, 'no architecture'),
    (FACTS_2X2, {'vcpus': 0}, 'vcpus must be above 0'),
    (FACTS_2X2, {'memory_mb': -5}, 'memory_mb must be above 0'),
    (FACTS_2X2, {'vcpus': 'many'}, "vcpus must be a number, not 'many'"),
    (FACTS_2X2, {'profile': {'width': 100}}, 'width must be between 320 and 7680'),
    (FACTS_2X2, {'profile': {'framerate': 120}}, 'framerate must be between 1 and 60'),
    (FACTS_2X2, {'profile': {'webcams': 500}}, 'webcams must be between 0 and 100'),
    (FACTS_2X2, {'profile': {'mode': 'record'}}, 'mode must be one of'),
    (FACTS_2X2, {'profile': {'resolution': '1080p'}}, 'unknown recording profile key(s) resolution'),
    (FACTS_2X2, {'measured': {'speed': 2}}, 'the measurement lacks encode_vcpus'),
    (dict(FACTS_2X2, architecture='s390x'), {}, "architecture 's390x' is not supported"),
    ('rec1', {}, "expected the host's facts"),
])
def test_errors_name_the_filter_and_the_value(name, facts, kwargs, message):
    with pytest.raises(AnsibleFilterError) as caught:
        FILTERS[name](facts, **kwargs)
    assert str(caught.value).startswith(name + ': ')
    assert message in str(caught.value)


def test_filters_in_a_playbook(run_playbook):
    """Through Jinja with the collection's FQCN: facts as a play would have them, an override, the reason."""
    facts = dict(FACTS_2X2, processor_vcpus=4, processor_nproc=4, memtotal_mb=4096)
    run = run_playbook([
        {'name': 'size', 'ansible.builtin.set_fact': {
            'limit': "{{ facts | plugnmeet.deploy.recorder_max_limit(profile={'mode': 'recorderOnly'}) }}",
            'limit_small': "{{ facts | plugnmeet.deploy.recorder_max_limit(memory_mb=2048, vcpus=1.5) }}",
            'why': "{{ facts | plugnmeet.deploy.recorder_capacity_reason(profile={'webcams': 9}) }}",
        }, 'vars': {'facts': facts}},
        {'name': 'bad', 'ansible.builtin.debug': {
            'msg': "{{ facts | plugnmeet.deploy.recorder_max_limit(profile={'width': 1921}) }}",
        }, 'vars': {'facts': facts}, 'ignore_errors': True},
    ])
    assert run.rc == 0, run.describe()
    values = run['size']['ansible_facts']
    assert values['limit'] == 2
    assert values['limit_small'] == 1
    assert values['why']['profile']['webcams'] == 9
    assert values['why']['reason'].startswith('max_limit ')
    assert run['bad']['failed'] is True
    assert 'recorder_max_limit: width must be an even number of pixels' in run['bad']['msg']


def test_fleet_from_facts_matches_the_model():
    """Entries with facts are sized like the recorder role sizes them (cgroup readings override the facts)."""
    fleet = FILTERS['recorder_fleet']
    result = fleet({'rec1': {'facts': FACTS_2X2, 'profile': {'mode': 'recorderOnly'}},
                    'rec2': {'facts': FACTS_2X2, 'profile': {'mode': 'recorderOnly'}, 'vcpus': 8,
                             'memory_mb': 16384}}, 3)
    one = sizing.recommend({'vcpus': 2, 'memory_mb': 3921, 'architecture': 'x86_64'}, {'mode': 'recorderOnly'})
    eight = sizing.recommend({'vcpus': 8, 'memory_mb': 16384, 'architecture': 'x86_64'}, {'mode': 'recorderOnly'})
    assert result['sustainable'] == {4: one['sustainable'] + eight['sustainable']}
    assert result['enough'] is (3 <= one['sustainable'] + eight['sustainable'])


def test_fleet_refuses_a_nonsense_peak_by_name():
    with pytest.raises(AnsibleFilterError, match='recorder_fleet: .*expected'):
        FILTERS['recorder_fleet']({'rec1': {'facts': FACTS_2X2}}, {'four': 2})


@pytest.mark.parametrize('size, participants, by_link', [
    ({'vcpus': 16, 'nic_speed_mbps': 1000}, 144, 400),
    ({'vcpus': 16, 'nic_speed_mbps': 100}, 40, 40),
    ({'vcpus': '2.0', 'nic_speed_mbps': 0}, 18, 'unknown (link speed not reported)'),
    ({}, 0, 'unknown (link speed not reported)'),
])
def test_participant_estimate_is_the_smaller_of_cpu_and_link(size, participants, by_link):
    result = FILTERS['participant_estimate'](size)
    assert (result['participants'], result['by_link']) == (participants, by_link)


def test_participant_estimate_takes_the_stated_assumptions():
    result = FILTERS['participant_estimate']({'vcpus': 4, 'nic_speed_mbps': 100}, per_vcpu=5, participant_mbps=4.0)
    assert (result['by_cpu'], result['by_link'], result['participants']) == (20, 20, 20)
    with pytest.raises(AnsibleFilterError, match='participant_estimate: vcpus must be a number'):
        FILTERS['participant_estimate']({'vcpus': 'many'})
