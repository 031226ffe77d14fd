"""The Pelican-only server_transfer module: no change when the server is on the node already, the allocation picked
or named (free, on the target node), 406 reported as "not viable" without a retry, 409 told apart (a running transfer to
the node is waited for; another node's or an unmovable status fails), allocations left by a cancelled transfer not
mistaken for a running one, waiting until the panel shows the new node (and a timeout that says what it saw), check
mode, Pterodactyl refused before any request. state=cancelled: 204 a change, 406 none, a 5xx asked again (the panel
ends the transfer before Wings fails it), check mode sending nothing, node required only to move."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import server_transfer as transfer_module
from ansible_collections.ptero.panel.tests.unit.envelopes import item, listing

PANEL = "https://panel.example.test"
APP = f"{PANEL}/api/application"
PELICAN_KEY = "papp_unittestkey" + "x" * 32
SERVER = {
    "id": 7,
    "external_id": None,
    "uuid": "1a7ce997-259b-452e-8b4e-cecc464142ca",
    "identifier": "1a7ce997",
    "name": "survival",
    "node": 1,
    "allocation": 11,
}
NODE_1 = {"id": 1, "name": "fra1"}
NODE_2 = {"id": 2, "name": "fra2"}
ALLOCATIONS_2 = [
    {"id": 20, "ip": "10.0.0.12", "port": 25565, "assigned": True},
    {"id": 22, "ip": "10.0.0.12", "port": 25567, "assigned": False},
    {"id": 21, "ip": "10.0.0.12", "port": 25566, "assigned": False},
]


def serve_allocations(panel, allocations, of_server=()):
    """Node 2's allocations; `filter[server_id]=7` answers `of_server` (the panel's callback filter)."""

    def answer(request):
        asked = parse_qs(urlsplit(request.url).query).get("filter[server_id]")
        return 200, {}, json.dumps(listing("allocation", list(of_server) if asked == ["7"] else allocations))

    panel.add_callback(responses.GET, f"{APP}/nodes/2/allocations", callback=answer, content_type="application/json")


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{APP}/servers/7", json=item("server", SERVER))
        mock.get(f"{APP}/nodes", json=listing("node", [NODE_1, NODE_2]))
        mock.get(f"{APP}/nodes/2", json=item("node", NODE_2))
        serve_allocations(mock, ALLOCATIONS_2)
        yield mock


def arrives_after(panel, reads, started=False):
    """The server shows on node 2 after `reads` reads of it that follow the transfer (`started` by an earlier run)."""
    state = {"transferred": started, "reads": 0}

    def transfer(request):
        state["transferred"] = True
        return 204, {}, ""

    def read(request):
        if state["transferred"]:
            state["reads"] += 1
        moved = state["transferred"] and state["reads"] > reads
        return 200, {}, json.dumps(item("server", {**SERVER, "node": 2, "allocation": 21} if moved else SERVER))

    panel.remove(responses.GET, f"{APP}/servers/7")
    panel.add_callback(responses.GET, f"{APP}/servers/7", callback=read, content_type="application/json")
    panel.add_callback(responses.POST, f"{APP}/servers/7/transfer", callback=transfer)


def writes(panel):
    return [
        (
            call.request.method,
            call.request.url.split("/api/application/")[1].split("?")[0],
            json.loads(call.request.body) if call.request.body else None,
        )
        for call in panel.calls
        if call.request.method != "GET"
    ]


def run(run_module, args, **kwargs):
    return run_module(transfer_module.main, {"api_key": PELICAN_KEY, "server": "7", **args}, **kwargs)


def test_already_on_the_node_is_no_change(panel, run_module):
    outcome = run(run_module, {"node": "fra1"})
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is False and outcome.result["transferred"] is False and writes(panel) == []


def test_moves_to_the_lowest_free_allocation_and_waits(panel, run_module):
    arrives_after(panel, reads=1)
    outcome = run(run_module, {"node": "fra2"}, diff=True)
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is True and outcome.result["transferred"] is True
    assert writes(panel) == [
        ("POST", "servers/7/transfer", {"node_id": 2, "allocation_id": 21, "allocation_additional": []})
    ]
    assert outcome.result["server"]["node"] == 2
    assert outcome.result["diff"] == {"before": {"node": 1, "allocation": 11}, "after": {"node": 2, "allocation": 21}}


def test_allocations_named_by_ip_port_and_id(panel, run_module):
    arrives_after(panel, reads=0)
    run(run_module, {"node": "2", "allocation": "10.0.0.12:25567", "additional_allocations": ["21"]})
    assert writes(panel)[0][2] == {"node_id": 2, "allocation_id": 22, "allocation_additional": [21]}


def test_an_assigned_or_unknown_allocation_fails_before_writing(panel, run_module):
    outcome = run(run_module, {"node": "fra2", "allocation": "20"})
    assert outcome.failed and outcome.result["msg"] == (
        "allocation: allocation '20' of node 'fra2' is already assigned to a server"
    )
    outcome = run(run_module, {"node": "fra2", "allocation": "10.0.0.99:1"})
    assert outcome.failed and outcome.result["msg"] == "allocation: node 'fra2' has no allocation '10.0.0.99:1'"
    outcome = run(run_module, {"node": "fra2", "allocation": "nonsense"})
    assert outcome.failed and outcome.result["msg"] == "allocation: 'nonsense' is neither an allocation id nor ip:port"
    assert writes(panel) == []


def test_406_says_the_node_cannot_take_the_server(panel, run_module):
    panel.post(f"{APP}/servers/7/transfer", status=406, body="")
    outcome = run(run_module, {"node": "fra2"})
    assert outcome.failed
    assert outcome.result["msg"].startswith(
        "Node 'fra2' cannot take server 'survival' (the panel found it not viable: not enough free memory, disk or CPU"
    )
    assert "transferred" not in outcome.result["msg"]
    assert outcome.result.get("changed") is not True
    assert len([call for call in panel.calls if call.request.method == "POST"]) == 1


def test_wait_timeout_says_what_was_seen(panel, run_module):
    arrives_after(panel, reads=10_000)
    outcome = run(run_module, {"node": "fra2", "wait_timeout": 0})
    assert outcome.failed
    assert "waiting for server 'survival' to arrive on node 'fra2'" in outcome.result["msg"]
    assert "still on node 1" in outcome.result["msg"]
    # The transfer was started: the failure is a change.
    assert outcome.result["changed"] is True


def test_no_wait_returns_after_starting(panel, run_module):
    arrives_after(panel, reads=10_000)
    outcome = run(run_module, {"node": "fra2", "wait": False})
    assert outcome.result["changed"] is True and outcome.result["server"]["node"] == 1


def test_check_mode_predicts_the_move(panel, run_module):
    outcome = run(run_module, {"node": "fra2"}, check_mode=True)
    assert outcome.result["changed"] is True and outcome.result["server"]["node"] == 2 and writes(panel) == []


def test_no_free_allocation_is_said(panel, run_module):
    panel.remove(responses.GET, f"{APP}/nodes/2/allocations")
    serve_allocations(panel, ALLOCATIONS_2[:1])
    outcome = run(run_module, {"node": "fra2"})
    assert outcome.failed and outcome.result["msg"].startswith(
        "node 'fra2' has no free allocation for server 'survival'"
    )


def test_pterodactyl_is_refused_before_any_request(panel, run_module):
    outcome = run_module(transfer_module.main, {"server": "7", "node": "fra2", "panel": "pterodactyl"})
    assert outcome.failed and "ptero.panel.server_transfer needs a Pelican panel" in outcome.result["msg"]
    assert len(panel.calls) == 0


def conflict_body(detail):
    return {"errors": [{"code": "ServerStateConflictException", "status": "409", "detail": detail}]}


TRANSFERRING = "This server is currently being transferred to a new machine, please try again later."


def holds_21(panel):
    """Allocation 21 of node 2 is assigned to server 7: a running transfer took it, or a cancelled one left it."""
    panel.remove(responses.GET, f"{APP}/nodes/2/allocations")
    held = {**ALLOCATIONS_2[2], "assigned": True}
    serve_allocations(panel, [*ALLOCATIONS_2[:2], held], of_server=[held])


def test_a_transfer_already_running_is_waited_for_not_started_again(panel, run_module):
    # An earlier run started the move to allocation 21; the panel refuses a second transfer with 409.
    holds_21(panel)
    arrives_after(panel, reads=1, started=True)
    panel.remove(responses.POST, f"{APP}/servers/7/transfer")
    panel.post(f"{APP}/servers/7/transfer", status=409, json=conflict_body(TRANSFERRING))
    outcome = run(run_module, {"node": "fra2"})
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is False and outcome.result["transferred"] is False
    assert outcome.result["server"]["node"] == 2
    # The one request that asks the panel, with a free allocation (22), refused without a write.
    assert writes(panel) == [
        ("POST", "servers/7/transfer", {"node_id": 2, "allocation_id": 22, "allocation_additional": []})
    ]


def test_allocations_left_by_a_cancelled_transfer_do_not_stop_a_new_one(panel, run_module):
    # After a cancel the server is on node 1 with allocation 21 of node 2 still assigned; no transfer runs.
    holds_21(panel)
    arrives_after(panel, reads=1)
    outcome = run(run_module, {"node": "fra2"}, diff=True)
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is True and outcome.result["transferred"] is True
    assert outcome.result["server"]["node"] == 2
    assert writes(panel) == [
        ("POST", "servers/7/transfer", {"node_id": 2, "allocation_id": 22, "allocation_additional": []})
    ]


def test_a_left_over_allocation_cannot_be_named(panel, run_module):
    holds_21(panel)
    outcome = run(run_module, {"node": "fra2", "allocation": "10.0.0.12:25566"})
    assert outcome.failed and outcome.result["msg"].startswith(
        "allocation: allocation '10.0.0.12:25566' of node 'fra2' is already assigned to server 'survival' (by a "
        "running transfer, or left by a cancelled one); name a free one."
    )
    assert "ptero.panel.network_allocation" in outcome.result["msg"] and writes(panel) == []


def test_without_a_free_allocation_held_ones_are_waited_for_and_the_timeout_says_how_to_free_them(panel, run_module):
    panel.remove(responses.GET, f"{APP}/nodes/2/allocations")
    held = {**ALLOCATIONS_2[2], "assigned": True}
    serve_allocations(panel, [ALLOCATIONS_2[0], held], of_server=[held])
    outcome = run(run_module, {"node": "fra2", "wait_timeout": 0})
    assert outcome.failed and writes(panel) == []
    message = outcome.result["msg"]
    assert "waiting for server 'survival' to arrive on node 'fra2'; last seen: still on node 1" in message
    assert "a cancelled transfer leaves them too" in message
    assert "assigned to it (21). To free them, remove them from the server with ptero.panel.network_allocation" in (
        message
    )
    assert "add a free allocation to the node and run this task again" in message
    assert outcome.result.get("changed") is not True


def test_check_mode_with_held_allocations_predicts_no_change_and_warns(panel, run_module):
    holds_21(panel)
    outcome = run(run_module, {"node": "fra2"}, check_mode=True)
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is False and writes(panel) == []
    assert any("only a transfer request tells which" in w for w in outcome.result.get("warnings", []))


def test_409_while_moving_to_another_node_fails_clearly(panel, run_module):
    panel.post(f"{APP}/servers/7/transfer", status=409, json=conflict_body(TRANSFERRING))
    outcome = run(run_module, {"node": "fra2"})
    assert outcome.failed and outcome.result["msg"].startswith(
        "server 'survival' is being transferred already, to another node (node 'fra2' has none of its allocations "
        "yet); wait until that transfer ends, or cancel it, and run the task again: POST"
    )
    assert outcome.result.get("changed") is not True and outcome.result["error"]["status"] == 409


def test_409_for_a_server_that_cannot_move_names_its_status(panel, run_module):
    panel.remove(responses.GET, f"{APP}/servers/7")
    panel.get(f"{APP}/servers/7", json=item("server", {**SERVER, "status": "restoring_backup"}))
    panel.post(
        f"{APP}/servers/7/transfer",
        status=409,
        json=conflict_body("This server is currently restoring from a backup, please try again later."),
    )
    outcome = run(run_module, {"node": "fra2"})
    assert outcome.failed and outcome.result["msg"].startswith(
        "server 'survival' cannot be transferred now: it is restoring a backup: POST"
    )


def test_without_a_free_allocation_and_no_wait_the_doubt_is_warned(panel, run_module):
    panel.remove(responses.GET, f"{APP}/nodes/2/allocations")
    held = {**ALLOCATIONS_2[2], "assigned": True}
    serve_allocations(panel, [ALLOCATIONS_2[0], held], of_server=[held])
    outcome = run(run_module, {"node": "fra2", "wait": False})
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is False and writes(panel) == []
    warnings = outcome.result.get("warnings", [])
    assert any(
        "Allocations [21] of node 'fra2' are assigned to server 'survival'" in w
        and "no free allocation to ask the panel with" in w
        and "ptero.panel.network_allocation" in w
        for w in warnings
    ), warnings


# -- state=cancelled --------------------------------------------------------------------------------------------
# Pelican beta38's cancel: 406 with an empty body when no transfer of the server runs; otherwise the transfer is
# marked ended in the panel's database, then both nodes' Wings are told to stop, and an error there is a generic
# 500 although the transfer stays ended (Wings beta29 has no route for the call to the target node).
CANCEL = f"{APP}/servers/7/transfer/cancel"
GENERIC_500 = {
    "errors": [
        {
            "code": "RequestException",
            "status": "500",
            "detail": "An unexpected error was encountered while processing this request, please try again.",
        }
    ]
}


def cancel(run_module, **kwargs):
    return run(run_module, {"state": "cancelled"}, **kwargs)


def cancel_posts(panel):
    return [call for call in panel.calls if call.request.method == "POST"]


def test_cancel_a_running_transfer(panel, run_module):
    panel.post(CANCEL, status=204)
    outcome = cancel(run_module, diff=True)
    assert not outcome.failed, outcome.result["msg"]
    result = outcome.result
    assert result["changed"] is True and result["cancelled"] is True and result["transferred"] is False
    assert writes(panel) == [("POST", "servers/7/transfer/cancel", None)]
    assert result["server"]["id"] == 7 and result["server"]["node"] == 1
    assert result["diff"] == {
        "before": {"node": 1, "allocation": 11, "transfer": "running"},
        "after": {"node": 1, "allocation": 11, "transfer": "cancelled"},
    }
    # The allocations the transfer gave the server on the target node stay assigned: said, with how to free them.
    assert any("ptero.panel.network_allocation" in w for w in result["warnings"]), result["warnings"]


def test_cancel_with_no_transfer_running_is_no_change(panel, run_module):
    panel.post(CANCEL, status=406, body="")
    outcome = cancel(run_module)
    assert not outcome.failed, outcome.result["msg"]
    result = outcome.result
    assert result["changed"] is False and result["cancelled"] is False and result["transferred"] is False
    assert result["diff"]["before"]["transfer"] == result["diff"]["after"]["transfer"] == "none"
    assert result["warnings"] == [] and len(cancel_posts(panel)) == 1


def test_cancel_in_check_mode_sends_nothing_and_warns(panel, run_module):
    panel.post(CANCEL, status=204)
    outcome = cancel(run_module, check_mode=True)
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is False and outcome.result["cancelled"] is False
    assert cancel_posts(panel) == []
    assert any(
        "Check mode cannot tell whether a transfer of server 'survival' runs" in w for w in outcome.result["warnings"]
    )


def test_cancel_on_pterodactyl_is_refused_before_any_request(panel, run_module):
    outcome = run_module(transfer_module.main, {"server": "7", "state": "cancelled", "panel": "pterodactyl"})
    assert outcome.failed and "ptero.panel.server_transfer needs a Pelican panel" in outcome.result["msg"]
    assert len(panel.calls) == 0


def test_node_is_required_only_to_move(panel, run_module):
    outcome = run(run_module, {})
    assert outcome.failed and outcome.result["msg"] == "state is present but all of the following are missing: node"
    assert len(panel.calls) == 0


def test_placement_options_are_refused_with_cancelled_before_any_request(panel, run_module):
    outcome = run(run_module, {"state": "cancelled", "node": "fra2", "additional_allocations": ["21"]})
    assert outcome.failed and outcome.result["msg"].startswith(
        "node, additional_allocations: not used with state=cancelled, which cancels whichever transfer of the server "
        "runs"
    )
    assert len(panel.calls) == 0


def test_a_500_whose_cancel_took_effect_is_a_change_with_a_warning(panel, run_module):
    # The first cancel ended the transfer and then failed telling Wings; the second finds none running.
    panel.post(CANCEL, status=500, json=GENERIC_500)
    panel.post(CANCEL, status=406, body="")
    outcome = cancel(run_module)
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is True and outcome.result["cancelled"] is True
    assert len(cancel_posts(panel)) == 2
    assert any(
        "answered the cancel of server 'survival' with an error (500), and a second cancel found no transfer running"
        in w
        for w in outcome.result["warnings"]
    ), outcome.result["warnings"]


def test_a_500_before_anything_was_ended_is_followed_by_a_cancel_that_works(panel, run_module):
    panel.post(CANCEL, status=500, json=GENERIC_500)
    panel.post(CANCEL, status=204)
    outcome = cancel(run_module)
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is True and outcome.result["cancelled"] is True
    assert len(cancel_posts(panel)) == 2


def test_a_transfer_that_finished_meanwhile_is_not_reported_cancelled(panel, run_module):
    panel.post(CANCEL, status=500, json=GENERIC_500)
    panel.post(CANCEL, status=406, body="")
    reads = {"count": 0}

    def read(request):
        reads["count"] += 1
        moved = reads["count"] > 1  # the success callback came between the two cancels
        return 200, {}, json.dumps(item("server", {**SERVER, "node": 2, "allocation": 21} if moved else SERVER))

    panel.remove(responses.GET, f"{APP}/servers/7")
    panel.add_callback(responses.GET, f"{APP}/servers/7", callback=read, content_type="application/json")
    outcome = cancel(run_module)
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is False and outcome.result["cancelled"] is False
    assert outcome.result["server"]["node"] == 2
    assert any("ended on its own before the cancel" in w for w in outcome.result["warnings"])


def test_two_failed_cancels_fail_naming_both(panel, run_module):
    panel.post(CANCEL, status=500, json=GENERIC_500)
    panel.post(CANCEL, status=500, json=GENERIC_500)
    outcome = cancel(run_module)
    assert outcome.failed and outcome.result["msg"].startswith(
        "Could not cancel the transfer of server 'survival' (a first cancel failed too: 500): POST"
    )
    assert outcome.result["error"]["status"] == 500 and len(cancel_posts(panel)) == 2


def test_a_refused_cancel_fails_without_asking_again(panel, run_module):
    panel.post(
        CANCEL, status=403, json={"errors": [{"code": "AccessDeniedHttpException", "status": "403", "detail": "x"}]}
    )
    outcome = cancel(run_module)
    assert outcome.failed and outcome.result["msg"].startswith(
        "Could not cancel the transfer of server 'survival': POST"
    )
    assert outcome.result.get("changed") is not True and len(cancel_posts(panel)) == 1


def test_state_present_is_the_default_and_says_nothing_was_cancelled(panel, run_module):
    arrives_after(panel, reads=0)
    outcome = run(run_module, {"node": "fra2", "state": "present"})
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is True and outcome.result["transferred"] is True
    assert outcome.result["cancelled"] is False
    assert writes(panel) == [
        ("POST", "servers/7/transfer", {"node_id": 2, "allocation_id": 21, "allocation_additional": []})
    ]
