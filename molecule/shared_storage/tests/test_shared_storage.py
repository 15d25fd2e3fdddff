"""The recordings directory is one directory on the storage server and on the recorder (sshfs in this lab)."""

import os
import shlex
import stat
import subprocess
import uuid

import pytest
import yaml
from conftest import ephemeral_dir, lab_address, run_check_diff

MAIN = "pnm-store-main"
REC = "pnm-store-rec"
PATH = "/var/lib/plugnmeet/recording_files"
UNIT = "var-lib-plugnmeet-recording_files.mount"
CLIENT_KEY = "/etc/plugnmeet-storage/id_ed25519"


@pytest.fixture(autouse=True)
def once(host):
    """Every test looks at both hosts itself, so it runs once (from the recorder's side)."""
    if host.backend.get_hostname() != REC:
        pytest.skip("checked across both hosts once")


def key_path():
    """The recorder's own key pair on the controller."""
    return os.path.join(ephemeral_dir(), "plugnmeet-storage-keys", REC)


def as_user(user, command):
    return f"runuser -u {user} -- sh -c {shlex.quote(command)}"


def test_mounted_with_sshfs_and_the_pinned_host_key(lab):
    rec, main = lab[REC], lab[MAIN]
    mount = rec.check_output(f"findmnt -n -o FSTYPE,SOURCE {PATH}").split()
    assert mount == ["fuse.sshfs", f"plugnmeet@{lab_address(main)}:/recordings"]
    assert rec.check_output(f"systemd-escape --path --suffix=mount {PATH}") == UNIT
    assert rec.service(UNIT).is_enabled
    # The ssh under the running sshfs checks the server against the pinned key, with the recorders' key.
    ssh = rec.check_output("pgrep -a -x ssh")
    assert "-oStrictHostKeyChecking=yes" in ssh and f"-oIdentityFile={CLIENT_KEY}" in ssh
    assert "-oUserKnownHostsFile=/etc/plugnmeet-storage/known_hosts" in ssh
    host_key = main.check_output("cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub")
    assert f"{lab_address(main)} {host_key}" in rec.file("/etc/plugnmeet-storage/known_hosts").content_string


def test_a_recording_written_on_the_recorder_is_on_the_main_host(lab):
    rec, main = lab[REC], lab[MAIN]
    name = f"{PATH}/pnm-store-rec/room-{uuid.uuid4().hex[:8]}/rec_raw.mp4"
    rec.run_expect([0], as_user("recorder", f"mkdir -p $(dirname {name}) && head -c 300000 /dev/urandom > {name}"))
    digest = rec.check_output(f"sha256sum {name}").split()[0]
    assert main.check_output(f"sha256sum {name}").split()[0] == digest
    # Whoever wrote it, it is plugnmeet-server's account's on the storage server: the server may move and delete it.
    assert main.file(name).user == "plugnmeet"
    assert main.file(os.path.dirname(name)).user == "plugnmeet"
    main.run_expect([0], as_user("plugnmeet", f"mv {name} {name}.moved && rm {name}.moved"))


def test_a_file_written_on_the_main_host_is_on_the_recorder(lab):
    rec, main = lab[REC], lab[MAIN]
    name = f"{PATH}/from-main-{uuid.uuid4().hex[:8]}.txt"
    content = uuid.uuid4().hex
    main.run_expect([0], as_user("plugnmeet", f"echo {content} > {name}"))
    assert rec.check_output(as_user("recorder", f"cat {name}")) == content


def test_only_the_recorder_and_root_use_the_mount(lab):
    rec = lab[REC]
    assert rec.run(as_user("nobody", f"ls {PATH}")).rc != 0
    assert rec.file(PATH).user == "recorder"


def test_the_mount_survives_a_restart_and_guards_the_local_disk(lab):
    rec, main = lab[REC], lab[MAIN]
    name = f"{PATH}/restart-{uuid.uuid4().hex[:8]}.txt"
    main.run_expect([0], as_user("plugnmeet", f"echo before > {name}"))
    rec.run_expect([0], f"systemctl restart {UNIT}")
    assert rec.check_output(f"findmnt -n -o FSTYPE {PATH}") == "fuse.sshfs"
    assert rec.check_output(as_user("recorder", f"cat {name}")) == "before"
    # Unmounted, the directory is root's: the recorder cannot fill the local disk instead of the shared one.
    rec.run_expect([0], f"systemctl stop {UNIT}")
    try:
        assert rec.run(f"findmnt -n {PATH}").rc != 0
        assert rec.run(as_user("recorder", f"touch {PATH}/local-by-mistake")).rc != 0
    finally:
        rec.run_expect([0], f"systemctl start {UNIT}")
    rec.run_expect([0], as_user("recorder", f"echo after > {name}"))
    assert main.check_output(f"cat {name}") == "after"


def _recorder_unit_properties():
    """The recorder role's unit settings: the common hardening with the recorder's exceptions."""
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

    def load(*parts):
        with open(os.path.join(root, *parts)) as handle:
            return yaml.safe_load(handle)

    options = dict(load("roles", "common", "vars", "main.yml")["__common_service_hardening"])
    recorder = load("roles", "recorder", "vars", "main.yml")
    options.update(recorder["__recorder_unit_hardening"])
    options.update(recorder["__recorder_unit_hardening_sandbox"])
    properties = ["User=recorder", "Group=recorder", "StateDirectory=pnm-store-test", f"ReadWritePaths=-{PATH}",
                  "CapabilityBoundingSet=", "AmbientCapabilities="]
    for name, value in sorted(options.items()):
        if value is not None:
            properties += [f"{name}={line}" for line in ([value] if isinstance(value, str) else value)]
    return properties


def test_a_hardened_recorder_unit_writes_through_the_mount_across_a_remount(lab):
    """As the recorder service will: `recorder` under its unit's hardening (ProtectSystem=strict, the recordings
    path in ReadWritePaths) moves a file into the mount with its mode and times, and still writes after the mount
    was replaced on the host while the unit ran (the new mount reaches the unit's namespace)."""
    rec, main = lab[REC], lab[MAIN]
    room = f"{PATH}/pnm-store-rec/room-{uuid.uuid4().hex[:8]}"
    script = (f"set -e; head -c 200000 /dev/urandom > /var/lib/pnm-store-test/raw.mp4; mkdir -p {room}; "
              f"cp /var/lib/pnm-store-test/raw.mp4 {room}/raw.mp4; chmod 0640 {room}/raw.mp4; "
              f"touch -m -d @1700000000 {room}/raw.mp4; "
              f"while [ ! -e /run/pnm-store-test-remounted ]; do sleep 0.5; done; echo after > {room}/after.txt")
    command = ["systemd-run", "--quiet", "--unit=pnm-store-test"]
    for prop in _recorder_unit_properties():
        command += ["-p", prop]
    command += ["/bin/bash", "-c", script]
    rec.run("rm -f /run/pnm-store-test-remounted")
    rec.run_expect([0], " ".join(shlex.quote(part) for part in command))
    try:
        rec.run_expect([0], f"for i in $(seq 60); do [ -e {room}/raw.mp4 ] && break; sleep 0.5; done; "
                            f"test -e {room}/raw.mp4")
        rec.run_expect([0], f"systemctl restart {UNIT} && touch /run/pnm-store-test-remounted")
        rec.run_expect([0], "for i in $(seq 60); do systemctl is-active -q pnm-store-test || break; sleep 0.5; done")
        assert rec.check_output("systemctl show -P Result pnm-store-test") == "success"
    finally:
        rec.run("systemctl stop pnm-store-test; systemctl reset-failed pnm-store-test; "
                "rm -rf /var/lib/pnm-store-test /run/pnm-store-test-remounted")
    assert main.check_output(f"stat -c '%U %a %Y %s' {room}/raw.mp4") == "plugnmeet 640 1700000000 200000"
    assert main.check_output(f"cat {room}/after.txt") == "after"


def _ssh(host, key, target, extra=""):
    """ssh from the host as the storage login; a refused login's status 255 is returned as 254, because testinfra
    reaches the host over SSH itself and takes 255 for its own connection failing."""
    return host.run(
        f"ssh -i {key} -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
        f"-o ConnectTimeout=10 {extra} plugnmeet@{target} id </dev/null; status=$?; "
        "[ $status -eq 255 ] && exit 254; exit $status"
    )


def test_the_storage_login_is_sftp_only_and_chrooted(lab):
    rec, main = lab[REC], lab[MAIN]
    result = _ssh(rec, CLIENT_KEY, lab_address(main))
    assert "uid=" not in result.stdout  # no shell, whatever command is asked for
    listing = rec.check_output(
        f"echo 'ls -1 /' | sftp -b - -i {CLIENT_KEY} -o UserKnownHostsFile=/etc/plugnmeet-storage/known_hosts "
        f"-o StrictHostKeyChecking=yes plugnmeet@{lab_address(main)}"
    )
    assert [line.strip() for line in listing.splitlines() if not line.startswith("sftp>")] == ["/recordings"]
    assert "chrootdirectory /var/lib/plugnmeet-storage" in main.check_output(
        f"sshd -T -C user=plugnmeet,host=x,addr={lab_address(rec)}")


def test_a_host_that_is_not_a_recorder_cannot_log_in(lab):
    """Even with the recorder's key, the main host (not in recorders) is refused; passwords never work."""
    rec, main = lab[REC], lab[MAIN]
    with open(key_path()) as handle:
        private_key = handle.read()
    main.run_expect([0], f"install -m 0600 /dev/null /root/stolen-key && printf %s {shlex.quote(private_key)} "
                         "> /root/stolen-key")
    try:
        refused = _ssh(main, "/root/stolen-key", lab_address(main))
        assert refused.rc != 0 and "Permission denied" in refused.stderr
    finally:
        main.run("rm -f /root/stolen-key")
    password = _ssh(rec, "/dev/null", lab_address(main),
                    "-o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive")
    assert password.rc != 0 and "Permission denied (publickey)" in password.stderr


def test_key_files_are_private_and_each_client_has_its_own(lab):
    assert stat.S_IMODE(os.stat(key_path()).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(key_path())).st_mode) == 0o700
    key = lab[REC].file(CLIENT_KEY)
    assert (key.user, key.mode) == ("root", 0o600)
    with open(key_path() + ".pub") as handle:
        public_key = handle.read().split()[:2]
    authorized = [line.split() for line in lab[MAIN].file("/etc/ssh/plugnmeet-storage/authorized_keys")
                  .content_string.splitlines() if line and not line.startswith("#")]
    assert authorized == [[f'restrict,from="{lab_address(lab[REC])}"', *public_key, "plugnmeet-storage", REC]]


def _playbook(*args):
    converge = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")
    proc = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], *args, converge],
        capture_output=True, text=True, check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_nfs_method_renders_in_check_mode(lab):
    """Kernel NFS cannot run in this lab (no nfs/nfsd in /proc/filesystems); the nfs method is rendered in check mode."""
    rec, main = lab[REC], lab[MAIN]
    filesystems = main.file("/proc/filesystems").content_string.split()
    assert "nfs" not in filesystems and "nfsd" not in filesystems
    unit_before = rec.file(f"/etc/systemd/system/{UNIT}").sha256sum
    code, output = _playbook("--check", "--diff", "-e", "shared_storage_method=nfs")
    assert code == 0, output[-3000:]
    uid, gid = main.check_output("id -u plugnmeet"), main.check_output("id -g plugnmeet")
    assert (f'"{PATH}" {lab_address(rec)}(rw,sync,no_subtree_check,all_squash,anonuid={uid},anongid={gid})'
            in output)
    assert f"+What={lab_address(main)}:{PATH}" in output
    assert "+Type=nfs4" in output
    assert rec.file(f"/etc/systemd/system/{UNIT}").sha256sum == unit_before
    assert not main.file("/etc/exports.d/plugnmeet-recordings.exports").exists


def test_check_diff_never_shows_the_private_key(lab):
    with open(key_path()) as handle:
        body = [line for line in handle.read().splitlines() if line and not line.startswith("-----")]
    code, output = run_check_diff([CLIENT_KEY, f"/etc/systemd/system/{UNIT}"])
    assert code == 0, output[-3000:]
    assert "fuse.sshfs" in output  # the mount unit's content really was shown
    assert not [line for line in body if line in output]
    assert lab[REC].file(CLIENT_KEY).exists
