"""Helpers shared by the Molecule scenarios' testinfra tests."""

import glob
import os
import re
import shutil
import ssl
import subprocess

import pytest
import yaml


def pytest_runtest_logreport(report):
    """A failed test's report also goes to $PNM_TEST_FAILURES, which tools/molecule-scenario.sh prints last: CI
    shows the tail of its output, and Molecule's destroy step comes after the verifier's own summary."""
    path = os.environ.get("PNM_TEST_FAILURES")
    if path and report.failed:
        with open(path, "a") as handle:
            handle.write(f"{report.nodeid} ({report.when}) FAILED:\n{report.longreprtext[-5000:]}\n\n")
        # The playbook logs a scenario wrote, kept beside it (Molecule prunes its ephemeral directory).
        for log in glob.glob(os.path.join(ephemeral_dir(), "*.log")):
            shutil.copy(log, os.path.dirname(path))


def ephemeral_dir():
    return os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]


@pytest.fixture(scope="session")
def secrets_path():
    return os.path.join(ephemeral_dir(), "plugnmeet-secrets.yml")


@pytest.fixture(scope="session")
def nats_tls():
    return nats_tls_context()


def nats_tls_context():
    """What a NATS client needs to reach the nats role's client port: TLS checked against the deployment's CA."""
    return ssl.create_default_context(cafile=os.path.join(ephemeral_dir(), "plugnmeet-ca.crt"))


@pytest.fixture(scope="session")
def secrets(secrets_path):
    with open(secrets_path) as handle:
        return yaml.safe_load(handle)


def lab_address(host):
    """The lab host's address on the lab network, reachable from this controller: the source address of its default
    route (hostname -I may list a container engine's bridge first)."""
    route = host.check_output("ip -o -4 route get 1.1.1.1").split()
    return route[route.index("src") + 1]


def instances():
    with open(os.environ["MOLECULE_INSTANCE_CONFIG"]) as handle:
        return [entry["instance"] for entry in yaml.safe_load(handle) or []]


@pytest.fixture(scope="module")
def lab(host):
    """Every lab host of the scenario by name, for checks across hosts."""
    import testinfra

    return {name: testinfra.get_host(f"ansible://{name}", ansible_inventory=host.backend.ansible_inventory)
            for name in instances()}


def run_check_diff(hidden_files):
    """Run the scenario's converge with --check --diff and return (return code, output).

    The given files are first moved aside on every host, so the diff shows their whole would-be content: a
    secret in any of them, or in any task's output, would be printed.
    """
    hosts = instances()

    def move(src_suffix, dst_suffix):
        for name in hosts:
            for path in hidden_files:
                subprocess.run(
                    ["docker", "exec", name, "sh", "-c", f'[ ! -e "{path}{src_suffix}" ] || mv "{path}{src_suffix}" "{path}{dst_suffix}"'],
                    check=True,
                )

    move("", ".pnm-hidden")
    try:
        converge = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")
        proc = subprocess.run(
            ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--check", "--diff", converge],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        move(".pnm-hidden", "")
    return proc.returncode, proc.stdout + proc.stderr


def unit_properties(host, unit, *names):
    """{property: value} of a systemd unit as systemctl show prints them (MainPID always included)."""
    command = f"systemctl show {unit} -p MainPID " + " ".join(f"-p {name}" for name in names)
    return dict(line.split("=", 1) for line in host.check_output(command).splitlines())


EXPOSURE_COMMAND = "systemd-analyze security --no-pager {unit}.service"


def exposure_in(output, unit):
    """The overall exposure in systemd-analyze security's output (0 = fully confined, 10 = not at all)."""
    match = re.search(rf"Overall exposure level for {re.escape(unit)}\.service: ([0-9.]+)", output)
    assert match, output[-2000:]
    return float(match.group(1))


def exposure(host, unit):
    return exposure_in(host.run(EXPOSURE_COMMAND.format(unit=unit)).stdout, unit)


def assert_root_read_only(host, pid):
    """The process really cannot write to /: its mount namespace has / read-only (ProtectSystem=strict)."""
    mounts = host.check_output(f"cat /proc/{pid}/mountinfo")
    assert any(" / / ro," in line or " / / ro " in line for line in mounts.splitlines()), mounts


# HAProxy's admin socket answers "show stat" with CSV: proxy name, server name, ..., status in column 18.
HAPROXY_STAT_COMMAND = (
    "python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); s.connect(\"/run/haproxy-admin.sock\"); "
    "s.sendall(b\"show stat\\n\"); print(b\"\".join(iter(lambda: s.recv(65536), b\"\")).decode())'"
)


def haproxy_states(host):
    """{(proxy, server): status} of every frontend, backend and server HAProxy on the host reports."""
    rows = [line.split(",") for line in host.check_output(HAPROXY_STAT_COMMAND).splitlines()]
    return {(row[0], row[1]): row[17] for row in rows if len(row) > 17 and not row[0].startswith("#")}


def assert_no_secret_in(output, secrets):
    leaked = sorted(name for name, value in secrets.items() if value and str(value) in output)
    assert not leaked, f"secrets printed: {leaked}"
