"""TLS: with validate_certs (the default) a certificate the controller does not trust is refused with a clear
message before any request is sent; validate_certs=false, or trusting the CA, works. The emulator speaks plain
HTTP, so a small TLS-terminating proxy with a trustme certificate sits in front of it."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import trustme
from reliability_support import INVENTORIES, Ansible, TlsProxy, api_requests, emulator_fixture, requests_to, rows

emulator = emulator_fixture()


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_url(emulator, certificate_authority) -> Iterator[str]:
    """https://127.0.0.1:PORT, answered by the emulator through the proxy."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("127.0.0.1").configure_cert(context)
    proxy = TlsProxy(context, "127.0.0.1", urlsplit(emulator.url).port).start()
    try:
        yield proxy.url
    finally:
        proxy.stop()


@pytest.fixture(scope="module")
def ca_bundle(certificate_authority, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(path))
    return path


def test_untrusted_certificate_is_refused_and_validate_certs_false_works(emulator, tls_url):
    ansible = Ansible(emulator, url=tls_url)
    emulator.clear_requests()
    ansible.playbook("tls")
    # The refused read never reached the panel: one listing each came from the unverified read and write.
    assert len(requests_to(api_requests(emulator), "GET", "/api/application/locations")) == 2
    assert len(rows(emulator, "locations", short="tls-location")) == 1


def test_trusting_the_ca_passes_the_check(emulator, tls_url, ca_bundle):
    ansible = Ansible(emulator, url=tls_url)
    ansible.playbook("tls", "-e", "ca_trusted=true", env=ansible.env(REQUESTS_CA_BUNDLE=str(ca_bundle)))


def test_validate_certs_from_the_environment(emulator, tls_url):
    ansible = Ansible(emulator, url=tls_url)
    # PTERODACTYL_VALIDATE_CERTS=false switches the default off: the "verified" read now succeeds too.
    ansible.playbook("tls", "-e", "ca_trusted=true", env=ansible.env(PTERODACTYL_VALIDATE_CERTS="false"))


def test_inventory_refuses_an_untrusted_certificate(emulator, tls_url):
    ansible = Ansible(emulator, url=tls_url)
    strict = ansible.env(ANSIBLE_INVENTORY_UNPARSED_FAILED="1")
    refused = ansible.inventory(INVENTORIES / "application.pterodactyl.yml", "--list", env=strict)
    assert refused.rc != 0, refused.output[-4000:]
    assert "TLS certificate verify failed" in refused.stderr and "validate_certs" in refused.stderr, refused.stderr[
        -4000:
    ]

    accepted = ansible.inventory(INVENTORIES / "tls_insecure.pterodactyl.yml", "--list", env=strict)
    assert accepted.rc == 0, accepted.output[-4000:]
    assert "Survival" in json.loads(accepted.stdout)["_meta"]["hostvars"]
