"""node_info's tags against the emulator playing Pelican (beta38): the target's assertions check the nodes found;
the request log shows that Pelican's node listing was read without a tag filter (it has none) and that the task
refused on Pterodactyl sent nothing."""

from __future__ import annotations

from urllib.parse import unquote

from conftest import Ansible

NODES = "/api/application/nodes"
# The listings of the target's node_info tasks that name no node: four by tag in a loop, then two for both tags.
TAG_ONLY_LISTINGS = 6


def test_node_info_selects_pelican_nodes_by_tags(pelican_emulator):
    pelican_emulator.clear_requests()
    Ansible(pelican_emulator).playbook("pelican_node_info")
    log = pelican_emulator.requests()
    listings = [r for r in log if r["method"] == "GET" and r["path"] == NODES]
    queries = [unquote(r["query"]) for r in listings]
    assert all(r["status"] == 200 for r in listings), listings
    assert all("tag" not in query for query in queries), queries
    assert len([query for query in queries if "filter[" not in query]) == TAG_ONLY_LISTINGS, queries
    # The Pterodactyl task's name would be in any listing it had sent; with panel: pterodactyl it needed no probe.
    assert not [r for r in log if "refused-on-pterodactyl" in unquote(r["query"])]
    assert not [r for r in log if r["path"] == "/api/application/eggs"]
    # Only the tag given to the New York node and the tag taken back were written.
    assert [(r["method"], r["path"]) for r in log if r["method"] != "GET"] == [
        ("PATCH", f"{NODES}/2"),
        ("PATCH", f"{NODES}/2"),
    ]
