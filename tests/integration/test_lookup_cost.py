"""Finding one object costs a constant number of requests, however many the panel holds."""

import pytest
from conftest import Ansible

from ptero_emulator.fixture import start_emulator


@pytest.fixture(scope="module")
def large_panel(tmp_path_factory):
    running = start_emulator(
        tmp_path_factory.mktemp("large"), seed="scale:servers=10000,nodes=100,users=5000,locations=10"
    )
    yield running
    running.stop()


def test_noop_lookups_do_not_page_through_the_panel(large_panel):
    large_panel.clear_requests()
    Ansible(large_panel).playbook("lookup_cost")
    requests = large_panel.requests()
    assert all(r["method"] == "GET" for r in requests), requests
    # The location task asks for a route only Pterodactyl has, and a ptla_ key may be a migrated one on Pelican:
    # that task (alone) first sends the unauthenticated panel probe, which the panel answers without a lookup.
    probes = [r for r in requests if r["path"] == "/api/application/eggs"]
    assert [r["status"] for r in probes] == [404], probes
    lookups = [r for r in requests if r not in probes]
    # Six tasks, each one filtered list or one external-id lookup: no pagination through 10,000 servers.
    assert len(lookups) == 6, [(r["path"], r["query"]) for r in lookups]
    assert not any("page=2" in str(r.get("query")) for r in requests)
