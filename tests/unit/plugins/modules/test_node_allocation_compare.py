"""Compare logic of the node and allocation modules: complete node PATCH bodies, port and IP expansion."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import allocation as allocation_module
from ansible_collections.ptero.panel.plugins.modules import node as node_module
from ansible_collections.ptero.panel.plugins.modules.allocation import AllocationInputError, expand_ips, expand_ports
from ansible_collections.ptero.panel.tests.unit.envelopes import listing

APP = "https://panel.example.test/api/application"
NODE = {
    "id": 3,
    "uuid": "n",
    "name": "fra1-node1",
    "location_id": 1,
    "fqdn": "node1.example.com",
    "scheme": "https",
    "behind_proxy": False,
    "public": True,
    "maintenance_mode": False,
    "memory": 65536,
    "memory_overallocate": 0,
    "disk": 512000,
    "disk_overallocate": 0,
    "upload_size": 100,
    "daemon_listen": 8080,
    "daemon_sftp": 2022,
    "daemon_base": "/srv/wings",
    "description": None,
}


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{APP}/nodes", json=listing("node", [NODE]))
        mock.patch(f"{APP}/nodes/3", json={"object": "node", "attributes": {**NODE, "maintenance_mode": True}})
        yield mock


def test_node_update_sends_every_setting_including_daemon_base(panel, run_module):
    outcome = run_module(node_module.main, {"name": "fra1-node1", "maintenance_mode": True})
    assert outcome.result["changed_fields"] == ["maintenance_mode"]
    (call,) = [c for c in panel.calls if c.request.method == "PATCH"]
    body = json.loads(call.request.body)
    assert body["daemon_base"] == "/srv/wings" and body["maintenance_mode"] is True
    assert set(body) == set(node_module.SETTINGS) | {"name"}


def test_node_create_defaults_are_not_compared(panel, run_module):
    # daemon_listen etc. have create-time defaults only: an existing node with other values is left alone.
    assert run_module(node_module.main, {"name": "fra1-node1", "fqdn": "node1.example.com"}).result["changed"] is False


def test_allocation_present_only_creates_missing_ports(panel, run_module):
    existing = [{"id": 1, "ip": "192.0.2.1", "port": 25565, "alias": None, "notes": None, "assigned": True}]
    panel.get(f"{APP}/nodes/3/allocations", json=listing("allocation", existing))
    panel.post(f"{APP}/nodes/3/allocations", status=204)
    outcome = run_module(
        allocation_module.main, {"node": "fra1-node1", "ip": "192.0.2.1", "ports": ["25565-25566"]}, check_mode=True
    )
    assert outcome.result["created"] == ["192.0.2.1:25566"]
    assert all(c.request.method == "GET" for c in panel.calls)


def test_allocation_absent_refuses_assigned_ports_and_deletes_none(panel, run_module):
    existing = [
        {"id": 1, "ip": "192.0.2.1", "port": 25565, "alias": None, "notes": None, "assigned": True},
        {"id": 2, "ip": "192.0.2.1", "port": 25566, "alias": None, "notes": None, "assigned": False},
    ]
    panel.get(f"{APP}/nodes/3/allocations", json=listing("allocation", existing))
    outcome = run_module(
        allocation_module.main, {"node": "fra1-node1", "ip": "192.0.2.1", "ports": ["25565-25566"], "state": "absent"}
    )
    assert (
        outcome.failed and "192.0.2.1:25565" in outcome.result["msg"] and "nothing was deleted" in outcome.result["msg"]
    )
    assert all(c.request.method == "GET" for c in panel.calls)


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        (["25565"], [25565]),
        (["25565-25567", "25566"], [25565, 25566, 25567]),
        ([" 27015 "], [27015]),
    ],
)
def test_expand_ports(ports, expected):
    assert expand_ports(ports) == expected


@pytest.mark.parametrize("ports", [["1024"], ["65536"], ["25570-25560"], ["30000-31000"], ["abc"], ["1-2-3"], []])
def test_expand_ports_refuses(ports):
    with pytest.raises(AllocationInputError, match=r"^ports: "):
        expand_ports(ports)


def test_expand_ips():
    assert expand_ips("192.0.2.7") == ["192.0.2.7"]
    assert len(expand_ips("192.0.2.0/30")) == 4
    assert expand_ips("2001:db8::1") == ["2001:db8::1"]
    with pytest.raises(AllocationInputError, match=r"^ip: "):
        expand_ips("192.0.2.0/24")
