"""The NATS role installs a real nats-server that plugNmeet's components can use."""

import asyncio
import json
import os
import re
import socket
import ssl
import stat

import nats
from nats.errors import Error as NatsError

import pytest
from conftest import assert_no_secret_in, assert_root_read_only, instances, lab_address, run_check_diff, unit_properties


def test_service_running_as_its_own_user(host):
    service = host.service("nats")
    assert service.is_enabled
    assert service.is_running
    main_pid = host.check_output("systemctl show -p MainPID --value nats")
    assert host.check_output(f"ps -o user= -p {main_pid}") == "nats"
    assert host.user("nats").shell == "/usr/sbin/nologin"


def test_listens_on_private_address_and_loopback_monitoring(host):
    address = lab_address(host)
    assert host.socket(f"tcp://{address}:4222").is_listening
    assert host.socket(f"tcp://{address}:8222").is_listening  # websocket, for HAProxy's /ws
    assert host.socket("tcp://127.0.0.1:8223").is_listening  # monitoring
    assert not host.socket("tcp://0.0.0.0:4222").is_listening
    assert not host.socket(f"tcp://{address}:8223").is_listening


def test_jetstream_enabled(host):
    jsz = json.loads(host.check_output("curl -sf http://127.0.0.1:8223/jsz"))
    assert jsz["config"]["store_dir"].startswith("/var/lib/nats/jetstream")
    varz = json.loads(host.check_output("curl -sf http://127.0.0.1:8223/varz"))
    assert varz["server_name"] == host.backend.get_hostname()
    assert varz["version"] == "2.12.15"


def test_systemd_hardening_in_effect(host):
    props = unit_properties(host, "nats", "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
                            "PrivateDevices", "CapabilityBoundingSet", "RestrictNamespaces", "MemoryDenyWriteExecute")
    assert props["NoNewPrivileges"] == "yes"
    assert props["ProtectSystem"] == "strict"
    assert props["ProtectHome"] == "yes"
    assert props["PrivateTmp"] == "yes"
    assert props["PrivateDevices"] == "yes"
    assert props["CapabilityBoundingSet"] == ""
    assert props["MemoryDenyWriteExecute"] == "yes"
    # The running process really cannot write outside its state directory.
    assert_root_read_only(host, props["MainPID"])


def test_config_holds_only_public_keys(host, secrets):
    config = host.file("/etc/nats/nats-server.conf")
    assert config.mode == 0o640
    content = config.content_string
    for name in ("nats_server_user_seed", "nats_auth_callout_issuer_seed", "nats_auth_callout_xkey_seed"):
        assert secrets[name] not in content
    assert "auth_callout" in content


def test_secrets_file_private(secrets_path):
    assert stat.S_IMODE(os.stat(secrets_path).st_mode) == 0o600


def _run(coro):
    return asyncio.new_event_loop().run_until_complete(coro)


def test_server_user_can_create_a_stream(host, secrets, nats_tls):
    address = lab_address(host)

    async def scenario():
        nc = await nats.connect(
            servers=[f"nats://{address}:4222"],
            tls=nats_tls,
            nkeys_seed_str=secrets["nats_server_user_seed"],
            allow_reconnect=False,
            connect_timeout=5,
        )
        try:
            js = nc.jetstream()
            await js.add_stream(name="MOLECULE", subjects=["molecule.>"])
            ack = await js.publish("molecule.check", b"hello")
            info = await js.stream_info("MOLECULE")
            await js.delete_stream("MOLECULE")
            return ack.stream, info.state.messages
        finally:
            await nc.close()

    assert _run(scenario()) == ("MOLECULE", 1)


def test_unauthenticated_client_is_refused(host, nats_tls):
    """Without credentials the server asks the auth callout; with no plugnmeet-server answering, it refuses."""
    address = lab_address(host)

    async def scenario():
        nc = await nats.connect(
            servers=[f"nats://{address}:4222"], tls=nats_tls, allow_reconnect=False, max_reconnect_attempts=0,
            connect_timeout=10
        )
        try:
            await nc.flush(timeout=10)
            flushed = True
        except NatsError:
            flushed = False
        return flushed, nc.is_closed, str(nc.last_error)

    since = host.check_output("date +%s")
    flushed, closed, error = _run(scenario())
    assert not flushed
    assert closed
    # Over TLS the client may see the server hang up before it reads the reason; the server's log has it.
    journal = host.check_output(f"journalctl -u nats --since @{since} --no-pager -o cat")
    assert "authorization" in error.lower() or re.search("authentication error|authorization violation", journal,
                                                         re.I), (error, journal[-2000:])


def test_client_port_requires_tls_with_the_deployments_ca(host, secrets, nats_tls):
    """A client that does not trust the deployment's CA (this controller's system store) is refused before it can
    authenticate; the server's certificate names its private address and is signed by that CA."""
    address = lab_address(host)
    varz = json.loads(host.check_output("curl -sf http://127.0.0.1:8223/varz"))
    assert varz["tls_required"] and not varz.get("tls_verify")  # clients prove who they are with nkeys, not certificates

    async def scenario():
        with pytest.raises(ssl.SSLCertVerificationError):
            await nats.connect(servers=[f"nats://{address}:4222"], nkeys_seed_str=secrets["nats_server_user_seed"],
                               allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=5)

    _run(scenario())
    with socket.create_connection((address, 4222), timeout=5) as raw:
        raw.recv(4096)  # INFO, in clear text, then the server expects the TLS handshake
        with nats_tls.wrap_socket(raw, server_hostname=address) as tls:
            cert = tls.getpeercert()
    assert dict(item[0] for item in cert["issuer"])["commonName"] == "plugnmeet.deploy CA"
    assert ("IP Address", address) in cert["subjectAltName"]
    key = host.file("/etc/nats/nats.key")
    assert (key.user, key.group, key.mode) == ("root", "nats", 0o640)


def test_check_diff_shows_changes_but_never_a_secret(host, secrets):
    """--check --diff on hosts missing their config: the diff shows the config, no secret appears, nothing changes."""
    if host.backend.get_hostname() != instances()[0]:
        pytest.skip("runs once for the scenario")
    before = host.file("/etc/nats/nats-server.conf").sha256sum
    code, output = run_check_diff(["/etc/nats/nats-server.conf", "/etc/systemd/system/nats.service"])
    assert code == 0, output[-3000:]
    assert "auth_callout" in output  # the config's content really was shown
    assert_no_secret_in(output, secrets)
    assert host.file("/etc/nats/nats-server.conf").sha256sum == before
