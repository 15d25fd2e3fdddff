"""Helpers shared by the Molecule scenarios' testinfra tests."""

import os

import pytest
import yaml


def ephemeral_dir():
    return os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]


@pytest.fixture(scope="session")
def secrets_path():
    return os.path.join(ephemeral_dir(), "plugnmeet-secrets.yml")


@pytest.fixture(scope="session")
def secrets(secrets_path):
    with open(secrets_path) as handle:
        return yaml.safe_load(handle)


def lab_address(host):
    """The lab host's address on the lab network, reachable from this controller."""
    return host.check_output("hostname -I").split()[0]
