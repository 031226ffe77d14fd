"""py-dactyl (an independent client) against the emulator's application API.

Where py-dactyl itself disagrees with the panel (its create_location sends ``shortcode``/``description``), the
emulator must answer like the panel would: a 422 that py-dactyl turns into PterodactylApiError."""

from __future__ import annotations

import pytest
from pydactyl import PterodactylClient
from pydactyl.exceptions import PterodactylApiError

from ptero_emulator.fixture import Api, RunningEmulator, wait_until


@pytest.fixture(scope="module")
def client(module_emulator: RunningEmulator) -> PterodactylClient:
    return PterodactylClient(module_emulator.url, module_emulator.application_key, retries=0)


def test_list_users_with_pagination(client: PterodactylClient, module_emulator: RunningEmulator) -> None:
    for index in range(4):
        client.user.create_user(f"pager{index}", f"pager{index}@example.com", "Page", "User", password="pw-123456")
    first_page = client.user.list_users(params={"per_page": 2})
    assert len(first_page) == 7  # total across pages
    assert [u["attributes"]["username"] for u in first_page.data] == ["admin", "player"]
    # py-dactyl asks for later pages by number only, so per_page falls back to 50 and page 2 of 50 is empty:
    # with the panel's pagination, its collect() stops after the first page here.
    collected = client.user.list_users(params={"per_page": 2}).collect()
    assert [u["attributes"]["username"] for u in collected] == ["admin", "player"]
    everything = client.user.list_users().collect()
    assert {u["attributes"]["username"] for u in everything} >= {"pager0", "pager3", "helper"}
    filtered = client.user.list_users(username="pager2")
    assert [u["attributes"]["email"] for u in filtered.data] == ["pager2@example.com"]


def test_user_create_get_edit_delete(client: PterodactylClient) -> None:
    created = client.user.create_user("pydactyl", "pydactyl@example.com", "Py", "Dactyl", external_id="pd-1")
    user_id = created["attributes"]["id"]
    assert created["meta"]["resource"].endswith(f"/api/application/users/{user_id}")
    assert client.user.get_user_info(external_id="pd-1")["attributes"]["username"] == "pydactyl"
    edited = client.user.edit_user(user_id, "pydactyl", "renamed@example.com", "Py", "Dactyl")
    assert edited["attributes"]["email"] == "renamed@example.com"
    with pytest.raises(PterodactylApiError, match="has already been taken"):
        client.user.create_user("pydactyl", "pydactyl2@example.com", "Py", "Dactyl")
    client.user.delete_user(user_id)
    # py-dactyl turns the 404 into requests' HTTPError or its own error, depending on the call: either will do.
    with pytest.raises(Exception):  # noqa: B017, PT011
        client.user.get_user_info(user_id=user_id)


def test_locations(client: PterodactylClient, module_emulator: RunningEmulator) -> None:
    locations = client.locations.list_locations()
    assert [loc["attributes"]["short"] for loc in locations.data] == ["de.fra", "us.nyc"]
    assert client.locations.get_location_info(2)["attributes"]["long"] == "New York, USA"
    # py-dactyl posts {"shortcode", "description"}: the panel requires "short".
    with pytest.raises(PterodactylApiError, match="The Location Identifier field is required"):
        client.locations.create_location("py.loc", "Made by py-dactyl")
    created = Api(module_emulator).post("locations", {"short": "py.loc"}).json()["attributes"]
    client.locations.delete_location(created["id"])
    assert [loc["attributes"]["short"] for loc in client.locations.list_locations().data] == ["de.fra", "us.nyc"]


def test_nodes_and_allocations(client: PterodactylClient) -> None:
    nodes = client.nodes.list_nodes(includes=["location"])
    assert [n["attributes"]["relationships"]["location"]["attributes"]["short"] for n in nodes.data] == [
        "de.fra",
        "us.nyc",
    ]
    config = client.nodes.get_node_config(1)
    assert config["api"]["port"] == 8080
    node = client.nodes.create_node("py-node", "ignored", 2, "py.example.com", 2048, 10240)
    node_id = node["attributes"]["id"]
    assert node["attributes"]["daemon_base"] == "/srv/daemon-data"
    response = client.nodes.create_allocations(node_id, "10.70.0.1", ["30000-30002"], alias="py")
    assert response.status_code == 204
    allocations = client.nodes.list_node_allocations(node_id)
    assert [a["attributes"]["port"] for a in allocations.data] == [30000, 30001, 30002]
    client.nodes.delete_allocation(node_id, allocations.data[0]["attributes"]["id"])
    assert len(client.nodes.list_node_allocations(node_id)) == 2
    demo_allocations = client.nodes.list_node_allocations(1, params={"per_page": 5})
    assert len(demo_allocations.data) == 5 and len(demo_allocations) == 20
    client.nodes.delete_node(node_id)


def test_servers(client: PterodactylClient, module_emulator: RunningEmulator) -> None:
    servers = client.servers.list_servers()
    assert [s["attributes"]["name"] for s in servers.data] == ["Survival", "Creative", "Rust Island"]
    info = client.servers.get_server_info(server_id=1, includes=["allocations"])
    assert info["name"] == "Survival"
    assert len(info["relationships"]["allocations"]["data"]) == 2
    free = client.nodes.list_node_allocations(2, params={"filter[server_id]": "none"}).data[0]["attributes"]["id"]
    created = client.servers.create_server(
        "py-server",
        2,
        4,
        10,
        1024,
        0,
        2048,
        default_allocation=free,
        start_on_completion=False,
        environment={"HOSTNAME": "PyDactyl Rust"},
    )
    assert created.status_code == 201
    server = created.json()["attributes"]
    assert server["status"] == "installing" and server["node"] == 2
    assert server["container"]["environment"]["HOSTNAME"] == "PyDactyl Rust"
    api = Api(module_emulator)
    wait_until(lambda: api.get(f"servers/{server['id']}").json()["attributes"]["status"] is None, timeout=5)
    client.servers.suspend_server(server["id"])
    assert client.servers.get_server_info(server_id=server["id"])["suspended"] is True
    client.servers.unsuspend_server(server["id"])
    # The panel's database list is unpaginated (no "meta"), which py-dactyl's list wrapper does not expect.
    with pytest.raises(KeyError, match="meta"):
        client.servers.list_server_databases(1)
    database = client.servers.get_server_database_info(1, 1)
    assert database["database"] == "s1_world"
    client.servers.delete_server(server["id"])
    assert api.get(f"servers/{server['id']}").status_code == 404


def test_nests_and_eggs(client: PterodactylClient) -> None:
    nests = client.nests.list_nests()
    assert len(nests) == 4
    eggs = client.nests.get_eggs_in_nest(1)
    assert "Paper" in {e["attributes"]["name"] for e in eggs["data"]}
    egg = client.nests.get_egg_info(1, 1, includes=["variables"])
    assert {v["attributes"]["env_variable"] for v in egg["attributes"]["relationships"]["variables"]["data"]} == {
        "MINECRAFT_VERSION",
        "SERVER_JARFILE",
        "DL_PATH",
        "BUILD_NUMBER",
    }
