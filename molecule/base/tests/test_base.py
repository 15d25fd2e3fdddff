"""The base role: packages, kernel tuning derived from facts, and a default-deny firewall with allowlists."""

import pytest


def _memory_mb(host):
    return int(host.ansible("setup", "filter=ansible_memtotal_mb")["ansible_facts"]["ansible_memtotal_mb"])


def test_packages(host):
    for name in ("nftables", "ca-certificates", "curl", "systemd-timesyncd"):
        assert host.package(name).is_installed


def test_kernel_settings_derived_from_memory(host):
    memory = _memory_mb(host)
    udp = 8388608 if memory < 4096 else (16777216 if memory <= 16384 else 33554432)
    nofile = min(max(65536, memory * 64), 1048576)
    settings = host.file("/etc/sysctl.d/60-plugnmeet.conf").content_string
    assert f"net.core.rmem_max = {udp}" in settings
    assert f"net.core.wmem_max = {udp}" in settings
    assert "net.ipv4.ip_local_port_range = 10240 49999" in settings
    assert f"nofile {nofile}" in host.file("/etc/security/limits.d/60-plugnmeet.conf").content_string
    assert f"DefaultLimitNOFILE={nofile}" in host.file("/etc/systemd/system.conf.d/60-plugnmeet.conf").content_string


def test_default_deny_table_loaded(host):
    ruleset = host.check_output("nft list table inet plugnmeet")
    assert "policy drop" in ruleset
    assert 'comment "base: ssh"' in ruleset
    assert host.service("plugnmeet-firewall").is_enabled


def test_firewall_survives_a_reload_and_keeps_name_resolution(host):
    host.run_expect([0], "systemctl restart plugnmeet-firewall")
    assert "policy drop" in host.check_output("nft list table inet plugnmeet")
    # Docker's resolver rules live in another table and must survive.
    assert host.run("getent hosts pnm-base-srv").rc == 0


def _connects(host, target, port):
    return host.run(f"timeout 3 bash -c '</dev/tcp/{target}/{port}'").rc == 0


def test_nats_port_open_only_to_recorders(host, lab):
    if host.backend.get_hostname() != "pnm-base-srv":
        pytest.skip("checked from the NATS host's point of view once")
    assert _connects(lab["pnm-base-rec"], "pnm-base-srv", 4222)
    assert not _connects(lab["pnm-base-outsider"], "pnm-base-srv", 4222)
    # The websocket port is for load balancers only; this inventory has none.
    assert not _connects(lab["pnm-base-rec"], "pnm-base-srv", 8222)
    rules = host.check_output("cat /etc/plugnmeet/firewall.d/nats.nft")
    assert "loadbalancers" in rules  # says why the port stays closed
