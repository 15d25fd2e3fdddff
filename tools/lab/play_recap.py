"""The PLAY RECAP of an ansible-playbook run, read from its output (shared by the journey and the benchmarks)."""


def play_recap(lines):
    """{host: {'ok': n, 'changed': n, 'unreachable': n, 'failed': n, ...}} from the lines after PLAY RECAP."""
    recap, seen = {}, False
    for line in lines:
        if line.startswith("PLAY RECAP"):
            seen = True
        elif seen and " : " in line and "ok=" in line:
            host, counts = line.split(" : ", 1)
            recap[host.strip()] = {key: int(value) for key, value in (item.split("=") for item in counts.split())}
    return recap
