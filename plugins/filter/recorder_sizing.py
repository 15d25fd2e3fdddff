# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sizing filters (recorders, and the participants of a media host); each is documented in plugins/filter/<name>.yml. The model is module_utils/sizing.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.plugnmeet.deploy.plugins.module_utils import sizing


def _capacity(name, facts, profile, memory_mb, vcpus, measured):
    try:
        host = sizing.host_from_facts(facts, vcpus=vcpus, memory_mb=memory_mb)
        return sizing.recommend(host, profile=profile, measured=measured)
    except sizing.SizingError as exc:
        raise AnsibleFilterError('%s: %s' % (name, to_native(exc)))


def recorder_capacity_reason(facts, profile=None, memory_mb=None, vcpus=None, measured=None):
    """The model's whole answer for a recorder host: max_limit, bound_by, undersized, reason and the estimates."""
    return _capacity('recorder_capacity_reason', facts, profile, memory_mb, vcpus, measured)


def recorder_max_limit(facts, profile=None, memory_mb=None, vcpus=None, measured=None):
    """The recommended plugnmeet-recorder max_limit (1..10) for a recorder host."""
    return _capacity('recorder_max_limit', facts, profile, memory_mb, vcpus, measured)['max_limit']


def recorder_fleet(recorders, expected, webcams=4):
    """Whether the recorder hosts together sustain the expected peak of concurrent recordings, and what is missing."""
    try:
        entries = {}
        for name, entry in (recorders or {}).items():
            entry = dict(entry)
            if 'host' not in entry:
                entry['host'] = sizing.host_from_facts(entry.get('facts') or {}, vcpus=entry.get('vcpus'),
                                                       memory_mb=entry.get('memory_mb'))
            entries[name] = entry
        return sizing.fleet(entries, expected, webcams=webcams)
    except sizing.SizingError as exc:
        raise AnsibleFilterError('recorder_fleet: %s' % to_native(exc))


def participant_estimate(size, per_vcpu=9.0, participant_mbps=2.0):
    """About how many participants a media host of this size carries (phase 2's report)."""
    try:
        return sizing.participants(size, per_vcpu=per_vcpu, participant_mbps=participant_mbps)
    except sizing.SizingError as exc:
        raise AnsibleFilterError('participant_estimate: %s' % to_native(exc))


class FilterModule(object):

    def filters(self):
        return {
            'recorder_max_limit': recorder_max_limit,
            'recorder_capacity_reason': recorder_capacity_reason,
            'recorder_fleet': recorder_fleet,
            'participant_estimate': participant_estimate,
        }
