"""Stand-in for ansible-test's pip bootstrap script (get-pip.py), which this network cannot download.

ansible-test runs the script as `python get_pip.py [--no-setuptools] [--no-wheel] pip==X ...` inside a new virtual
environment. This does the same with the interpreter's own ensurepip and then pip from the package index.
"""

import subprocess
import sys

args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + args)
