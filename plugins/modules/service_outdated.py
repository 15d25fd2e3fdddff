#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: service_outdated
short_description: Find whether a running service started before the files it reads at start last changed
version_added: 0.1.0
description:
  - A run that changed a service's configuration and was stopped before its handlers ran (the controller
    interrupted, the connection lost) leaves the service running the old configuration, and the next run, which
    finds the files as they should be, would not restart it. This module finds that case from the host alone, with
    no marker to keep; the service is outdated when one of O(paths) changed after the service last entered the
    active state (systemd's C(ActiveEnterTimestamp)). A file's change time is its inode's (C(ctime)), which every
    write, rename into place or unpacking sets, even when an archive kept an old modification time.
  - Reports C(changed=false) and changes nothing; the calling task sets C(changed_when) on RV(outdated) to notify
    the service's restart handler.
  - A service that is not active, or that systemd does not know, is not outdated (starting it reads the files).
    Missing paths are ignored.
options:
  name:
    description: The systemd unit, with or without C(.service).
    type: str
    required: true
  paths:
    description: Files the service reads only when it starts (its configuration, its unit file, its binary).
    type: list
    elements: path
    required: true
attributes:
  check_mode:
    support: full
    details: It only reads, the same in check mode.
  diff_mode:
    support: none
  platform:
    support: full
notes:
  - Hosts run by systemd (it reads C(systemctl show)).
extends_documentation_fragment:
  - plugnmeet.deploy.attributes
author:
  - plugnmeet.deploy maintainers (@plugnmeet-deploy)
'''

EXAMPLES = r'''
- name: Restart LiveKit if a run stopped after changing its configuration and before restarting it
  plugnmeet.deploy.service_outdated:
    name: livekit
    paths: [/etc/livekit/livekit.yaml, /etc/systemd/system/livekit.service, /usr/local/bin/livekit-server]
  register: livekit_outdated
  changed_when: livekit_outdated.outdated
  notify: Restart livekit
'''

RETURN = r'''
outdated:
  description: Whether one of the paths changed after the service last became active.
  returned: always
  type: bool
  sample: true
active_since:
  description: When the service last became active, in seconds since the epoch; null when it is not active.
  returned: always
  type: float
  sample: 1796982847.123456
changed_since:
  description: The paths that changed after that, newest first.
  returned: always
  type: list
  elements: str
  sample: [/etc/livekit/livekit.yaml]
'''

import os
import time

from ansible.module_utils.basic import AnsibleModule


def active_since(module, name):
    """When `name` last entered the active state (seconds since the epoch), or None when it is not active."""
    systemctl = module.get_bin_path('systemctl', required=True)
    code, out, err = module.run_command([systemctl, 'show', '--property=ActiveState,ActiveEnterTimestampMonotonic',
                                         '--', name])
    if code != 0:
        module.fail_json(msg='systemctl show %s failed: %s' % (name, err.strip()))
    values = dict(line.split('=', 1) for line in out.splitlines() if '=' in line)
    monotonic_us = int(values.get('ActiveEnterTimestampMonotonic') or 0)
    if values.get('ActiveState') != 'active' or not monotonic_us:
        return None
    return monotonic_to_epoch(monotonic_us)


def monotonic_to_epoch(monotonic_us, clock=None):
    """A CLOCK_MONOTONIC reading in microseconds as seconds since the epoch (systemd's readable timestamps have
    whole seconds only, file times have nanoseconds)."""
    now_real, now_monotonic = clock or (time.time(), time.clock_gettime(time.CLOCK_MONOTONIC))
    return now_real - (now_monotonic - monotonic_us / 1e6)


def changed_after(paths, since):
    """The existing paths changed (inode change time) after `since`, newest first."""
    times = []
    for path in paths:
        try:
            times.append((os.stat(path).st_ctime, path))
        except OSError:
            continue
    return [path for mtime, path in sorted(times, reverse=True) if mtime > since]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            paths=dict(type='list', elements='path', required=True),
        ),
        supports_check_mode=True,
    )
    since = active_since(module, module.params['name'])
    changed = changed_after(module.params['paths'], since) if since is not None else []
    module.exit_json(changed=False, outdated=bool(changed), active_since=since, changed_since=changed)


if __name__ == '__main__':
    main()
