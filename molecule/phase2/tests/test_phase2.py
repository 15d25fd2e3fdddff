"""Phase 2 after the main host grew from 1 CPU / 3 GiB to 2 CPUs / 6 GiB: the report says what moved, and the
settings on the hosts are what it says."""

import json
import os

import pytest

MAIN = "pnm-p2-main"


@pytest.fixture(scope="module")
def report():
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "phase2-report.json")) as handle:
        return json.load(handle)


@pytest.fixture(autouse=True)
def main_only(host):
    if host.backend.get_hostname() != MAIN:
        pytest.skip("the main host is what grew")


def test_the_report_sees_the_resize(report):
    before = report["before"][MAIN]
    after = report["after"][MAIN]
    assert float(before["vcpus"]) == 1.0 and float(after["vcpus"]) == 2.0
    assert int(before["memory_mb"]) == 3072 and int(after["memory_mb"]) == 6144


def test_memory_sized_settings_moved_as_reported(host, report):
    before = report["before"][MAIN]
    after = report["after"][MAIN]
    # MariaDB: 25% of memory in 128 MiB steps; Redis: 10%; UDP buffers 8 -> 16 MiB at 4 GiB and above.
    assert (before["mariadb_buffer_pool"], after["mariadb_buffer_pool"]) == ("768M", "1536M")
    assert (before["redis_maxmemory"], after["redis_maxmemory"]) == ("307mb", "614mb")
    assert (before["udp_buffer_bytes"], after["udp_buffer_bytes"]) == ("8388608", "16777216")
    assert int(after["nofile"]) > int(before["nofile"])
    # What runs now is what the report says.
    pool = host.check_output("mariadb -NBe 'SELECT @@innodb_buffer_pool_size'")
    assert int(pool) == 1536 * 1024 * 1024
    assert "16777216" in host.file("/etc/sysctl.d/60-plugnmeet.conf").content_string


def test_participant_estimate_grew_with_the_cpus(report):
    participants = report["participants"]
    assert participants["after"]["by_cpu"] == 2 * participants["before"]["by_cpu"] > 0


def test_services_healthy_after_the_rolling_restart(host):
    for service in ["mariadb", "redis-server", "nats", "livekit", "plugnmeet-server", "haproxy"]:
        assert host.service(service).is_running, service
    assert host.check_output("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/healthCheck") == "200"
