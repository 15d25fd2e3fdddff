# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/modules/service_outdated.py: the clock conversion, the file times, and the module with a fake systemctl."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.plugnmeet.deploy.plugins.modules import service_outdated


def test_monotonic_reading_as_epoch_seconds():
    assert service_outdated.monotonic_to_epoch(40 * 10 ** 6, clock=(1000.0, 100.0)) == 940.0


def test_only_paths_changed_after_the_start_count_newest_first(tmp_path):
    old, new, newer = (tmp_path / name for name in ('old', 'new', 'newer'))
    old.write_text('a')
    since = time.time() + 0.01
    time.sleep(0.05)
    new.write_text('b')
    time.sleep(0.05)
    newer.write_text('c')
    paths = [str(old), str(new), str(newer), str(tmp_path / 'missing')]
    assert service_outdated.changed_after(paths, since) == [str(newer), str(new)]
    assert service_outdated.changed_after(paths, time.time() + 1) == []


def test_an_old_modification_time_still_counts_as_a_change(tmp_path):
    """An unpacked binary keeps the archive's mtime; its inode change time is the install's."""
    binary = tmp_path / 'binary'
    binary.write_text('new release')
    os.utime(str(binary), (0, 0))
    assert service_outdated.changed_after([str(binary)], time.time() - 5) == [str(binary)]


def _run_module(monkeypatch, capsys, show_output, paths):
    monkeypatch.setattr(service_outdated.AnsibleModule, 'get_bin_path', lambda *a, **k: '/bin/systemctl')
    monkeypatch.setattr(service_outdated.AnsibleModule, 'run_command', lambda *a, **k: (0, show_output, ''))
    with patch_module_args({'name': 'livekit', 'paths': paths}):
        with pytest.raises(SystemExit):
            service_outdated.main()
    return json.loads(capsys.readouterr().out)


def test_module_reports_a_service_started_before_its_config_changed(tmp_path, monkeypatch, capsys):
    config = tmp_path / 'livekit.yaml'
    config.write_text('port: 7880\n')
    started_us = int((time.clock_gettime(time.CLOCK_MONOTONIC) - 60) * 10 ** 6)
    result = _run_module(monkeypatch, capsys, 'ActiveState=active\nActiveEnterTimestampMonotonic=%d\n' % started_us,
                         [str(config)])
    assert result['outdated'] and result['changed_since'] == [str(config)] and not result['changed']
    assert abs(result['active_since'] - (time.time() - 60)) < 2


def test_module_leaves_a_service_started_after_its_config_or_not_running(tmp_path, monkeypatch, capsys):
    config = tmp_path / 'livekit.yaml'
    config.write_text('port: 7880\n')
    time.sleep(0.05)
    started_us = int(time.clock_gettime(time.CLOCK_MONOTONIC) * 10 ** 6)
    running = 'ActiveState=active\nActiveEnterTimestampMonotonic=%d\n' % started_us
    assert not _run_module(monkeypatch, capsys, running, [str(config)])['outdated']
    stopped = _run_module(monkeypatch, capsys, 'ActiveState=inactive\nActiveEnterTimestampMonotonic=0\n',
                          [str(config)])
    assert not stopped['outdated'] and stopped['active_since'] is None
