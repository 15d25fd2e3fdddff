"""The Redis role: a real Redis plugnmeet-server can use, on the private address and loopback only, with a password,
maxmemory sized from facts, the dangerous commands disabled and Debian's hardened unit intact."""

import os
import socket
import ssl

import pytest
import redis
from conftest import assert_no_secret_in, ephemeral_dir, instances, lab_address, run_check_diff

CONFIG = "/etc/redis/plugnmeet.conf"
AUTH = "/etc/redis/plugnmeet-auth.conf"


CA = os.path.join(ephemeral_dir(), "plugnmeet-ca.crt")


def _client(host, secrets=None, password=None, **kwargs):
    """A client over TLS, checking the certificate against the deployment's CA, as plugnmeet-server and LiveKit do."""
    return redis.Redis(host=lab_address(host), port=6379, ssl=True, ssl_ca_certs=CA,
                       password=password or (secrets or {}).get("redis_password"), socket_timeout=5,
                       decode_responses=True, **kwargs)


def _version(host):
    return tuple(int(part) for part in host.check_output("redis-server --version").split("v=")[1].split()[0].split("."))


def _main_pid(host):
    return host.check_output("systemctl show -p MainPID --value redis-server")


def test_service_running_as_redis(host):
    assert host.package("redis-server").is_installed
    service = host.service("redis-server")
    assert service.is_enabled
    assert service.is_running
    assert host.check_output(f"ps -o user= -p {_main_pid(host)}") == "redis"


def test_listens_on_private_address_and_loopback_only(host):
    address = lab_address(host)
    listeners = sorted(line.split()[3] for line in host.check_output("ss -Hltn 'sport = :6379'").splitlines())
    assert listeners == sorted([f"{address}:6379", "127.0.0.1:6379"])


def test_unauthenticated_ping_gets_noauth(host):
    context = ssl.create_default_context(cafile=CA)
    with socket.create_connection((lab_address(host), 6379), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=lab_address(host)) as conn:
            conn.sendall(b"PING\r\n")
            reply = conn.recv(256)
    assert reply.startswith(b"-NOAUTH"), reply
    with pytest.raises(redis.exceptions.AuthenticationError):
        _client(host).ping()


def test_wrong_password_refused(host):
    with pytest.raises(redis.exceptions.AuthenticationError):
        _client(host, password="not-the-password").ping()


def test_tls_only_with_a_certificate_from_the_deployments_ca(host, secrets):
    """No clear-text port; a client that does not trust the deployment's CA (this controller's store) is refused."""
    with socket.create_connection((lab_address(host), 6379), timeout=5) as conn:
        conn.sendall(b"PING\r\n")
        try:
            reply = conn.recv(256)
        except ConnectionResetError:
            reply = b""
    assert not reply.startswith(b"+PONG"), reply  # a TLS server: no answer in clear text
    with pytest.raises(redis.exceptions.ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        redis.Redis(host=lab_address(host), port=6379, ssl=True, password=secrets["redis_password"],
                    socket_timeout=5).ping()
    key = host.file("/etc/redis/redis.key")
    assert (key.user, key.group, key.mode) == ("root", "redis", 0o640)


def test_with_the_password_plugnmeets_commands_work(host, secrets):
    client = _client(host, secrets)
    assert client.ping()
    assert client.set("pnm:molecule:key", "value", ex=60)
    assert client.get("pnm:molecule:key") == "value"
    # A lock like plugnmeet-server's: SET NX plus a Lua script that deletes it only for its owner.
    assert client.set("pnm:molecule:lock", "owner", nx=True, ex=30)
    unlock = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
    assert client.eval(unlock, 1, "pnm:molecule:lock", "owner") == 1
    client.hset("pnm:molecule:hash", mapping={"a": "1", "b": "2"})
    assert sorted(client.scan_iter(match="pnm:molecule:*")) == ["pnm:molecule:hash", "pnm:molecule:key"]
    assert client.keys("pnm:molecule:h*") == ["pnm:molecule:hash"]
    if _version(host) >= (7, 4):
        # Per-field expiry, which plugnmeet-server uses for webhook data (the role warns where Redis lacks it).
        assert client.execute_command("HEXPIRE", "pnm:molecule:hash", 60, "FIELDS", 1, "a") == [1]
    client.delete("pnm:molecule:key", "pnm:molecule:hash")


def test_maxmemory_sized_from_facts(host, secrets):
    memory = int(host.ansible("setup", "filter=ansible_memtotal_mb")["ansible_facts"]["ansible_memtotal_mb"])
    expected_mb = max(64, int(memory * 0.10))
    info = _client(host, secrets).info("memory")
    assert info["maxmemory"] == expected_mb * 1024 * 1024
    assert info["maxmemory_policy"] == "noeviction"


@pytest.mark.parametrize("command", [("FLUSHALL",), ("FLUSHDB",), ("CONFIG", "GET", "maxmemory"), ("DEBUG", "SLEEP", "0"),
                                     ("MODULE", "LIST"), ("REPLICAOF", "NO", "ONE")])
def test_dangerous_commands_disabled(host, secrets, command):
    with pytest.raises(redis.exceptions.ResponseError, match="unknown command"):
        _client(host, secrets).execute_command(*command)


def test_password_file_private_and_only_there(host, secrets):
    auth = host.file(AUTH)
    assert (auth.user, auth.group, auth.mode) == ("root", "redis", 0o640)
    assert secrets["redis_password"] in auth.content_string
    config = host.file(CONFIG)
    assert (config.user, config.group, config.mode) == ("root", "redis", 0o640)
    assert secrets["redis_password"] not in config.content_string
    main = host.file("/etc/redis/redis.conf").content_string
    assert main.rstrip().endswith(f"include {AUTH}\n# END plugnmeet.deploy: read last, so these settings win")


def test_debians_unit_hardening_kept_and_config_read_only(host):
    props = dict(
        line.split("=", 1)
        for line in host.check_output(
            "systemctl show redis-server -p NoNewPrivileges -p ProtectSystem -p ProtectHome -p PrivateTmp "
            "-p PrivateDevices -p PrivateUsers -p CapabilityBoundingSet -p MemoryDenyWriteExecute -p User"
        ).splitlines()
    )
    assert props == {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "PrivateUsers": "yes",
        "CapabilityBoundingSet": "",
        "MemoryDenyWriteExecute": "yes",
        "User": "redis",
    }
    mounts = {fields[4]: fields[5] for fields in
              (line.split() for line in host.check_output(f"cat /proc/{_main_pid(host)}/mountinfo").splitlines())}
    assert mounts["/"].startswith("ro,")
    assert mounts["/var/lib/redis"].startswith("rw,")
    # Debian's unit would bind /etc/redis writable (for CONFIG REWRITE); with CONFIG disabled it stays read-only.
    assert "/etc/redis" not in mounts


def test_check_diff_shows_changes_but_never_a_secret(host, secrets):
    """--check --diff with both managed files removed: the settings file is shown, the password never is."""
    if host.backend.get_hostname() != instances()[0]:
        pytest.skip("runs once for the scenario")
    before = host.file(AUTH).sha256sum
    code, output = run_check_diff([CONFIG, AUTH])
    assert code == 0, output[-3000:]
    assert "maxmemory-policy noeviction" in output  # the settings file's content really was shown
    assert "Write the password file" in output
    assert_no_secret_in(output, secrets)
    assert host.file(AUTH).sha256sum == before
