"""The MariaDB role: a real server plugnmeet-server can use, reachable as plugNmeet's user only from the
plugnmeet-server hosts, root only through the unix socket."""

import json
import os
import subprocess
import sys

import pymysql
import pytest
import testinfra
from conftest import assert_no_secret_in, assert_root_read_only, exposure, lab_address, run_check_diff, unit_properties

testinfra_hosts = ["ansible://databases"]

CLIENT = "pnm-mariadb-client"
DATABASE = "plugnmeet"
USER = "plugnmeet"
CNF = "/etc/mysql/mariadb.conf.d/60-plugnmeet.cnf"
# MariaDB's answers to a refused login.
HOST_NOT_ALLOWED = 1130
ACCESS_DENIED = (1045, 1698)  # with a password / without one
DB_ACCESS_DENIED = 1044


@pytest.fixture(scope="module")
def client(host):
    return testinfra.get_host(f"ansible://{CLIENT}", ansible_inventory=host.backend.ansible_inventory)


def _sql(host, query):
    """Run a query as root through the unix socket on the database host."""
    return host.check_output(f'mariadb -N -B -e "{query}"')


def _from_client_netns(address, user, password, statements):
    """Run statements with the controller's pymysql from inside the client host's network namespace.

    The connection then comes from the client's private address (granted), while the client stays the controller's
    Python. Returns {"ok": [rows...]} or {"error": [code, message]}.
    """
    pid = subprocess.check_output(["docker", "inspect", "-f", "{{.State.Pid}}", CLIENT], text=True).strip()
    code = r"""
import json, os, sys
import pymysql
try:
    conn = pymysql.connect(host=os.environ["DB_HOST"], user=os.environ["DB_USER"], password=os.environ["DB_PASSWORD"],
                           database=os.environ.get("DB_NAME") or None, connect_timeout=10, autocommit=True)
    rows = []
    with conn.cursor() as cur:
        for statement in json.loads(os.environ["DB_STATEMENTS"]):
            cur.execute(statement)
            rows.append([list(map(str, row)) for row in cur.fetchall()])
    conn.close()
    print(json.dumps({"ok": rows}))
except pymysql.MySQLError as exc:
    print(json.dumps({"error": [exc.args[0], str(exc.args[-1])]}))
"""
    env = dict(os.environ, DB_HOST=address, DB_USER=user, DB_PASSWORD=password,
               DB_NAME=DATABASE if user == USER else "", DB_STATEMENTS=json.dumps(statements))
    proc = subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", sys.executable, "-c", code],
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def _connect_from_controller(address, user, password):
    return pymysql.connect(host=address, user=user, password=password, connect_timeout=10)


def test_service_running_debians_package(host):
    assert host.package("mariadb-server").is_installed
    service = host.service("mariadb")
    assert service.is_enabled
    assert service.is_running
    main_pid = host.check_output("systemctl show -p MainPID --value mariadb")
    assert host.check_output(f"ps -o user= -p {main_pid}") == "mysql"
    debian = host.system_info.release.split(".")[0]
    assert _sql(host, "SELECT @@version").startswith({"12": "10.11.", "13": "11.8."}[debian])


def test_systemd_hardening_in_effect(host):
    """Debian's unit with the role's drop-in: read-only system, no capability but CAP_IPC_LOCK, no devices; the
    exposure systemd-analyze gives is the one docs/security.md commits to."""
    props = unit_properties(host, "mariadb", "NoNewPrivileges", "ProtectSystem", "CapabilityBoundingSet",
                            "PrivateDevices", "SystemCallFilter")
    assert props["NoNewPrivileges"] == "yes"
    assert props["ProtectSystem"] == "strict"
    assert props["PrivateDevices"] == "yes"
    assert props["CapabilityBoundingSet"] == "cap_ipc_lock"
    assert props["SystemCallFilter"]
    assert_root_read_only(host, props["MainPID"])
    assert exposure(host, "mariadb") <= 2.5


def test_listens_on_private_address_only(host):
    address = lab_address(host)
    listeners = host.check_output("ss -Hltn 'sport = :3306'").splitlines()
    assert [line.split()[3] for line in listeners] == [f"{address}:3306"]
    assert _sql(host, "SELECT @@bind_address") == address


def test_settings_sized_from_facts(host):
    memory = int(host.ansible("setup", "filter=ansible_memtotal_mb")["ansible_facts"]["ansible_memtotal_mb"])
    expected_mb = max(128, int(memory * 0.25 / 128) * 128)
    assert int(_sql(host, "SELECT @@innodb_buffer_pool_size")) == expected_mb * 1024 * 1024
    assert _sql(host, "SELECT @@max_connections") == "200"
    assert _sql(host, "SELECT @@character_set_server, @@collation_server").split() == ["utf8mb4", "utf8mb4_unicode_ci"]
    assert _sql(host, "SELECT @@skip_name_resolve") == "1"
    assert host.file(CNF).mode == 0o644


def test_accounts(host, client):
    accounts = {}
    for line in _sql(host, "SELECT User, Host FROM mysql.user").splitlines():
        user, _tab, account_host = line.partition("\t")
        accounts.setdefault(user, []).append(account_host)
    assert sorted(accounts[USER]) == sorted(["localhost", lab_address(client)])
    assert accounts["root"] == ["localhost"]
    assert "" not in accounts  # no anonymous accounts
    assert "test" not in _sql(host, "SHOW DATABASES").split()
    assert _sql(host, "SELECT COUNT(*) FROM mysql.db WHERE Db LIKE 'test%'") == "0"
    schema = _sql(host, f"SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{DATABASE}'")
    assert schema == "utf8mb4"


def test_root_through_the_socket_only(host, client, secrets):
    address = lab_address(host)
    # Through the socket, as the system's root: yes.
    assert _sql(host, "SELECT CURRENT_USER()") == "root@localhost"
    # Over TCP: never, from the controller, from a granted client host, or from the database host itself.
    with pytest.raises(pymysql.err.OperationalError) as refused:
        _connect_from_controller(address, "root", "")
    assert refused.value.args[0] == HOST_NOT_ALLOWED
    for password in ("", secrets["mariadb_password"]):
        assert _from_client_netns(address, "root", password, ["SELECT 1"])["error"][0] in ACCESS_DENIED
    assert host.run(f"mariadb -h {address} -u root -N -e 'SELECT 1'").rc != 0


def test_plugnmeet_user_creates_and_drops_a_table_from_a_plugnmeet_server(host, client, secrets):
    address = lab_address(host)
    result = _from_client_netns(address, USER, secrets["mariadb_password"], [
        "CREATE TABLE molecule_check (id INT PRIMARY KEY, name VARCHAR(32)) DEFAULT CHARSET utf8mb4",
        "INSERT INTO molecule_check VALUES (1, 'pl\u00fcgNmeet \U0001F600')",
        "SELECT name FROM molecule_check",
        "DROP TABLE molecule_check",
        "SELECT CURRENT_USER()",
    ])
    assert "ok" in result, result
    assert result["ok"][2] == [["pl\u00fcgNmeet \U0001F600"]]  # four-byte characters survive: utf8mb4
    assert result["ok"][4] == [[f"{USER}@{lab_address(client)}"]]


def test_plugnmeet_user_has_privileges_on_its_database_only(host, secrets):
    result = _from_client_netns(lab_address(host), USER, secrets["mariadb_password"], ["CREATE DATABASE molecule_other"])
    assert result["error"][0] == DB_ACCESS_DENIED
    grants = _from_client_netns(lab_address(host), USER, secrets["mariadb_password"], ["SHOW GRANTS"])["ok"][0]
    assert sorted(row[0].split(" TO ")[0] for row in grants) == [
        f"GRANT ALL PRIVILEGES ON `{DATABASE}`.*",
        "GRANT USAGE ON *.*",
    ]


def test_client_host_connects_with_the_mysql_client(host, client, secrets):
    address = lab_address(host)
    out = client.check_output(
        f"MYSQL_PWD='{secrets['mariadb_password']}' mariadb -h {address} -u {USER} -N -B {DATABASE} "
        "-e 'SELECT CURRENT_USER(), DATABASE()'"
    )
    assert out.split("\t") == [f"{USER}@{lab_address(client)}", DATABASE]


def test_plugnmeet_user_refused_from_the_controller(host, secrets):
    """The controller is not in plugnmeet_servers: the right password from its address is refused."""
    with pytest.raises(pymysql.err.OperationalError) as refused:
        _connect_from_controller(lab_address(host), USER, secrets["mariadb_password"])
    assert refused.value.args[0] == HOST_NOT_ALLOWED


def test_check_diff_shows_changes_but_never_a_secret(host, secrets):
    """--check --diff with the option file removed: the diff shows it, no secret appears, nothing changes."""
    if host.backend.get_hostname() != "pnm-mariadb-deb12":
        pytest.skip("runs once for the scenario")
    before = host.file(CNF).sha256sum
    started = host.check_output("systemctl show -p ExecMainStartTimestampMonotonic --value mariadb")
    code, output = run_check_diff([CNF])
    assert code == 0, output[-3000:]
    assert "innodb_buffer_pool_size" in output  # the option file's content really was shown
    assert_no_secret_in(output, secrets)
    assert host.file(CNF).sha256sum == before
    assert host.check_output("systemctl show -p ExecMainStartTimestampMonotonic --value mariadb") == started
