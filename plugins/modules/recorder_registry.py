#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: recorder_registry
short_description: Read which plugNmeet recorders are registered and alive in NATS
version_added: 0.1.0
description:
  - Reads the JetStream KV bucket in which every plugnmeet-recorder publishes its C(max_limit), its current
    progress and a ping every few seconds (keys C(recorder_<id>-FIELD_<n>)), the same data plugnmeet-server uses to
    choose a recorder.
  - Connects with the NATS user seed of plugnmeet-server, so it runs on a host that may reach NATS (a
    plugnmeet_servers host). Needs the Python library cryptography on that host (Debian python3-cryptography).
  - With O(wait_for) it polls until those recorders are alive, so a deploy can wait for new recorders to register
    before it retires old ones.
  - Also reports the transcoding queue (the WorkQueue stream every recorder in C(both) or C(transcoderOnly) mode
    fetches jobs from, one at a time), that is the jobs waiting and the jobs being transcoded. With O(wait_for_idle)
    it polls until those recorders record nothing and no transcoding job waits or runs anywhere, so a recorder can be
    stopped without taking a job with it (a job a stopped recorder held comes back only after the consumer's ack
    wait, 10 minutes).
  - Reads only; changes nothing.
options:
  nats_url:
    description: NATS URL, for example C(nats://10.0.0.5:4222).
    type: str
    required: true
  ca_file:
    description: CA certificate file to check the NATS server's TLS certificate with; by default the host's system
      store (where the roles put the deployment's CA).
    type: path
  user_seed:
    description: The nkey seed of the NATS user (plugnmeet-server's, C(nats_info.nkey)).
    type: str
    required: true
  bucket:
    description: The recorders' KV bucket (C(nats_info.recorder.recorder_info_kv)).
    type: str
    default: pnm-recorderInfo
  recorder_ids:
    description: Recorder ids to look up (C(recorder.id) of each recorder).
    type: list
    elements: str
    required: true
  stale_after:
    description: A recorder whose last ping is older than this many seconds counts as not alive
      (plugnmeet-server's C(recorder_info.ping_timeout) is 8 s).
    type: int
    default: 8
  wait_for:
    description: Ids that must be alive; the module polls until they are or O(timeout) passes, then fails.
    type: list
    elements: str
    default: []
  wait_for_idle:
    description: Ids whose recordings must have ended (progress 0), and with them the transcoding queue must be empty
      (nothing waiting, nothing in flight); the module polls until then or O(timeout) passes, then fails.
    type: list
    elements: str
    default: []
  transcoding_stream:
    description: The transcoding jobs' stream (C(nats_info.recorder.transcoding_jobs_subject)).
    type: str
    default: pnm-RecorderTranscoderJobs
  transcoding_consumer:
    description: The recorders' durable consumer of that stream.
    type: str
    default: transcoderWorker
  timeout:
    description: Seconds to wait for O(wait_for) and O(wait_for_idle).
    type: int
    default: 120
attributes:
  check_mode:
    support: full
    details: It only reads.
  diff_mode:
    support: none
  platform:
    support: full
requirements:
  - cryptography
extends_documentation_fragment:
  - plugnmeet.deploy.attributes
author:
  - plugnmeet.deploy maintainers (@plugnmeet-deploy)
'''

EXAMPLES = r'''
- name: Wait until the new recorders have registered
  plugnmeet.deploy.recorder_registry:
    nats_url: nats://10.0.0.5:4222
    user_seed: "{{ secrets.nats_server_user_seed }}"
    recorder_ids: [rec1, rec2]
    wait_for: [rec1, rec2]
  no_log: false
  register: registry
'''

RETURN = r'''
recorders:
  description: What the bucket says of each requested recorder.
  returned: always
  type: dict
  sample:
    rec1: {registered: true, alive: true, max_limit: 2, progress: 0, last_ping_age: 1.2}
    old: {registered: false, alive: false, max_limit: null, progress: null, last_ping_age: null}
alive:
  description: Ids of the recorders that are alive.
  returned: always
  type: list
  elements: str
live_capacity:
  description: Sum of max_limit of the alive recorders (recordings they can take together).
  returned: always
  type: int
transcoding:
  description: The transcoding queue, C(null) when its stream or consumer does not exist yet.
  returned: always
  type: dict
  sample: {waiting: 0, in_flight: 1}
'''

import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.plugnmeet.deploy.plugins.module_utils import nats_client, nkeys

# plugnmeet-protocol's RecorderInfoKeys: the field numbers in the keys.
FIELD_MAX_LIMIT = '0'
FIELD_LAST_PING = '1'
FIELD_PROGRESS = '3'


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def read_recorders(client, bucket, ids, stale_after, now=None):
    now = time.time() if now is None else now
    result = {}
    for recorder_id in ids:
        values = {}
        for name, field in (('max_limit', FIELD_MAX_LIMIT), ('last_ping', FIELD_LAST_PING),
                            ('progress', FIELD_PROGRESS)):
            values[name] = _int(nats_client.kv_get(client, bucket, 'recorder_%s-FIELD_%s' % (recorder_id, field)))
        age = None if values['last_ping'] is None else round(now - values['last_ping'] / 1000.0, 1)
        result[recorder_id] = {
            'registered': values['max_limit'] is not None,
            'alive': age is not None and age <= stale_after,
            'max_limit': values['max_limit'],
            'progress': values['progress'],
            'last_ping_age': age,
        }
    return result


def read_transcoding(client, stream, consumer):
    info = nats_client.consumer_info(client, stream, consumer)
    if info is None:
        return None
    return {'waiting': info.get('num_pending', 0), 'in_flight': info.get('num_ack_pending', 0)}


def busy(recorders, transcoding, ids):
    """Why the recorders `ids` (and the transcoding queue) are not idle yet; empty when they are."""
    reasons = ['%s records (progress %s)' % (i, recorders[i]['progress']) for i in ids if recorders[i]['progress']]
    if transcoding and (transcoding['waiting'] or transcoding['in_flight']):
        reasons.append('transcoding: %(waiting)d waiting, %(in_flight)d in flight' % transcoding)
    return reasons


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nats_url=dict(type='str', required=True),
            ca_file=dict(type='path'),
            user_seed=dict(type='str', required=True, no_log=True),
            bucket=dict(type='str', default='pnm-recorderInfo'),
            recorder_ids=dict(type='list', elements='str', required=True),
            stale_after=dict(type='int', default=8),
            wait_for=dict(type='list', elements='str', default=[]),
            wait_for_idle=dict(type='list', elements='str', default=[]),
            transcoding_stream=dict(type='str', default='pnm-RecorderTranscoderJobs'),
            transcoding_consumer=dict(type='str', default='transcoderWorker'),
            timeout=dict(type='int', default=120),
        ),
        supports_check_mode=True,
    )
    if not nkeys.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'))
    params = module.params
    missing = sorted(set(params['wait_for'] + params['wait_for_idle']) - set(params['recorder_ids']))
    if missing:
        module.fail_json(msg='wait_for and wait_for_idle name ids that are not in recorder_ids: %s' % ', '.join(missing))

    deadline = time.time() + params['timeout']
    client = nats_client.Client(params['nats_url'], params['user_seed'], ca_file=params['ca_file'])
    try:
        client.connect()
        while True:
            recorders = read_recorders(client, params['bucket'], params['recorder_ids'], params['stale_after'])
            transcoding = read_transcoding(client, params['transcoding_stream'], params['transcoding_consumer'])
            waiting = [i for i in params['wait_for'] if not recorders[i]['alive']]
            working = busy(recorders, transcoding, params['wait_for_idle']) if params['wait_for_idle'] else []
            if not (waiting or working) or time.time() >= deadline:
                break
            time.sleep(2)
    except nats_client.NatsError as exc:
        module.fail_json(msg=to_native(exc))
    finally:
        client.close()

    alive = sorted(i for i, info in recorders.items() if info['alive'])
    result = dict(changed=False, recorders=recorders, alive=alive, transcoding=transcoding,
                  live_capacity=sum(recorders[i]['max_limit'] or 0 for i in alive))
    if working:
        module.fail_json(msg='still busy after %d s: %s' % (params['timeout'], '; '.join(working)), **result)
    if waiting:
        module.fail_json(msg='recorders not alive after %d s: %s (check their service and logs, their access to '
                             'NATS, and plugnmeet-server, which authorizes them)' % (params['timeout'], ', '.join(waiting)),
                         **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
