"""Phase 3 across hosts: a 3-node NATS cluster with the recorders' bucket at 3 replicas, two LiveKit nodes sharing
rooms through Redis, HAProxy with both plugnmeet-servers UP, recorders registered, the firewall closed to outsiders.

plugnmeet-server is the test STAND-IN (molecule/standin/)."""

import json
import socket
import time
import uuid

import pytest
from conftest import haproxy_states, lab_address

APPS = ["pnm-p3-app1", "pnm-p3-app2"]
NATS = APPS + ["pnm-p3-nats3"]
RECORDERS = ["pnm-p3-rec1", "pnm-p3-rec2"]


@pytest.fixture(autouse=True)
def once(host):
    if host.backend.get_hostname() != APPS[0]:
        pytest.skip("cross-host test, run from the first app host's pass")


def _wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(2)


def test_nats_is_a_three_node_cluster(lab):
    for name in NATS:
        routez = json.loads(lab[name].check_output("curl -s http://127.0.0.1:8223/routez"))
        peers = {route["remote_name"] for route in routez["routes"]}
        assert len(peers) == 2, (name, peers)


def test_the_recorders_bucket_has_three_replicas(lab):
    jsz = json.loads(lab[APPS[0]].check_output(
        "curl -s 'http://127.0.0.1:8223/jsz?accounts=true&streams=true&config=true'"))
    streams = {stream["name"]: stream for account in jsz["account_details"]
               for stream in account.get("stream_detail", [])}
    bucket = streams["KV_pnm-recorderInfo"]
    assert bucket["config"]["num_replicas"] == 3
    assert len(bucket["cluster"].get("replicas", [])) == 2  # the leader and two followers


def test_recorders_registered(lab, secrets):
    url = f"nats://{lab_address(lab[APPS[0]])}:4222"
    result = lab[APPS[0]].ansible(
        "plugnmeet.deploy.recorder_registry",
        f"nats_url={url} user_seed={secrets['nats_server_user_seed']} recorder_ids={','.join(RECORDERS)} "
        f"wait_for={','.join(RECORDERS)} timeout=60", check=False)
    assert sorted(result["alive"]) == RECORDERS, result


def test_a_room_created_on_one_livekit_node_is_listed_on_the_other(lab, secrets):
    from livekit import api

    token = (api.AccessToken(secrets["livekit_api_key"], secrets["livekit_api_secret"])
             .with_grants(api.VideoGrants(room_create=True, room_list=True)).to_jwt())
    room = f"phase3-{uuid.uuid4().hex[:8]}"
    first, second = (lab_address(lab[name]) for name in APPS)
    call = ("curl -sf -X POST -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
            "-d '{body}' http://{address}:7880/twirp/livekit.RoomService/{method}")
    lab[APPS[0]].check_output(call.format(token=token, body=json.dumps({"name": room}), address=first,
                                          method="CreateRoom"))
    listed = _wait_for(lambda: room in [r["name"] for r in json.loads(lab[APPS[0]].check_output(
        call.format(token=token, body="{}", address=second, method="ListRooms"))).get("rooms", [])])
    assert listed, "the second LiveKit node does not see the room made on the first"


def _stat(lb, proxy, server):
    return haproxy_states(lb).get((proxy, server))


def test_haproxy_reports_every_server_up(lab):
    lb = lab[APPS[0]]
    for name in APPS:
        assert _wait_for(lambda: _stat(lb, "plugnmeet", name) == "UP"), name
        assert _wait_for(lambda: _stat(lb, "livekit", name) == "UP"), name


@pytest.mark.parametrize("port", [4222, 3306, 6379, 7880])
def test_a_host_outside_every_group_cannot_reach_internal_services(lab, port):
    with pytest.raises(OSError):
        socket.create_connection((lab_address(lab[APPS[0]]), port), timeout=3).close()
