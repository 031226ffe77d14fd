#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_transfer
short_description: Move a server to another node of a Pelican panel
version_added: 1.1.0
description:
  - Transfer a server to another node (its files are copied by Wings from the old node to the new one), and by
    default wait until the panel shows it on the new node. Pterodactyl has no transfer API; on a Pterodactyl panel the
    module fails before any change, naming the panel.
  - Idempotent by node, not by allocation; a server already on O(node) is left as it is, whatever its allocation.
  - The panel gives the server its allocations on O(node) when a transfer starts, and moves the server itself only
    when Wings has finished. A cancelled transfer leaves those allocations assigned to the server too, and the
    application API shows nothing else of a transfer (its C(transfer) include fails), so allocations of O(node)
    assigned to the server do not tell a running transfer from the leftovers of a cancelled one. The module then
    asks the panel by sending the transfer with a free allocation of O(node) - the panel refuses it with
    C(409 Conflict), writing nothing, while a transfer runs, and the task reports no change and with O(wait=true)
    waits for the running move; after a cancel the request starts the new transfer. The leftovers are released by
    the panel when that transfer succeeds.
  - Without a free allocation on O(node) the module cannot ask, and treats such allocations as a running move; if
    the server does not arrive, the timeout message names them and says how to free them. Check mode cannot ask
    either; it predicts no change for such a server and warns.
  - The panel answers C(406 Not Acceptable) when the node cannot take the server (not enough free memory, disk or CPU
    for it, counting the node's overallocation); the module reports that without retrying. A C(409 Conflict) for a
    server that is not installed or is restoring a backup, or that is being moved to another node, fails naming
    the reason.
  - Waiting means watching the server's node. A transfer that Wings gives up, or that is cancelled, leaves the
    server on its old node; waiting then ends at O(wait_timeout) with a message saying so.
  - With O(state=cancelled) the module cancels the running transfer of the server, whichever node it goes to. The
    panel answers C(406 Not Acceptable) when no transfer of the server runs; the task then reports no change. A
    cancelled transfer leaves the server on its old node, with its old allocations, and the allocations the transfer
    gave it on the target node stay assigned to it (see above).
  - The panel marks the transfer ended before it tells the Wings of both nodes to stop, and a failure there comes
    back as a C(500) although the transfer was cancelled (Pelican beta38 asks the target node's Wings on a route
    that Wings beta29 does not have, so with these versions every cancel of a running transfer is answered so).
    After a C(5xx) or a lost answer the module sends the cancel once more - C(406) then means the first one ended
    the transfer - and reports the change with a warning.
  - Check mode cannot tell whether a transfer runs (see above; only the cancel request itself tells, by its answer),
    so with O(state=cancelled) it sends nothing, predicts no change and warns.
  - Uses the application API.
options:
  server:
    description: The server to move, by id, external id, identifier, UUID or name.
    type: str
    required: true
  node:
    description:
      - The node to move it to, by id or name.
      - Required with O(state=present). Refused with O(state=cancelled), which cancels whichever transfer of the
        server runs (the panel's cancel takes no node, and the application API does not say where a transfer goes).
    type: str
  allocation:
    description:
      - The allocation on O(node) that becomes the server's primary one, by id or as C(ip:port).
      - Leave it out to take the free allocation of O(node) with the lowest id.
      - Allocations of O(node) assigned to the server already (by a running transfer, or left by a cancelled one)
        cannot be named; a transfer that succeeds releases them.
      - Refused with O(state=cancelled).
    type: str
  additional_allocations:
    description:
      - More allocations on O(node) for the server, by id or as C(ip:port).
      - Refused (when not empty) with O(state=cancelled).
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) moves the server to O(node).
      - V(cancelled) cancels the running transfer of the server; no change when none runs.
    type: str
    choices: [present, cancelled]
    default: present
    version_added: 1.1.0
  wait:
    description:
      - Wait until the panel shows the server on O(node).
      - Not used with O(state=cancelled); the panel ends the transfer within the cancel request.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait with O(wait=true).
    type: int
    default: 900
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.application
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Drain node fra1 before its maintenance
  ptero.panel.server_transfer:
    url: https://panel.example.com
    api_key: "{{ pelican_application_key }}"
    server: "{{ item }}"
    node: fra2
  loop: "{{ servers_on_fra1 }}"

- name: Move the survival server onto a chosen port, without waiting
  ptero.panel.server_transfer:
    server: survival
    node: fra2
    allocation: "10.0.0.12:25565"
    wait: false

- name: Call off the move of the survival server
  ptero.panel.server_transfer:
    server: survival
    state: cancelled
  register: cancel

- name: Say whether a transfer was running
  ansible.builtin.debug:
    msg: "{{ 'cancelled' if cancel.cancelled else 'no transfer was running' }}"
"""

RETURN = r"""
server:
  description: The server after the task (before the move finished with O(wait=false); the predicted server in check
    mode; with O(state=cancelled) the server as the panel shows it after the cancel, on its old node).
  returned: always
  type: dict
  sample: {id: 7, name: survival, node: 2, allocation: 41}
transferred:
  description: Whether the task started a transfer (always false with O(state=cancelled)).
  returned: always
  type: bool
  sample: true
cancelled:
  description: Whether the task cancelled a running transfer; false when none ran, with O(state=present), and in
    check mode (which cannot tell).
  returned: always
  type: bool
  sample: true
  version_added: 1.1.0
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._client import WRITE_UNKNOWN, PanelError
from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_application_server, find_node
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    Outcome,
    PanelModule,
    TaskFailure,
    failure_context,
)
from ansible_collections.ptero.panel.plugins.module_utils._pelican import require_pelican, required_object

Item = dict[str, t.Any]

# Server statuses in which Pelican refuses any transfer with 409 (Server::validateTransferState, beta38): not
# installed, or restoring a backup. With any other status a 409 means a transfer of the server is running.
UNMOVABLE_STATUSES = {
    "installing": "is still installing",
    "install_failed": "failed to install",
    "reinstall_failed": "failed to reinstall",
    "restoring_backup": "is restoring a backup",
}


class NoFreeAllocation(TaskFailure):
    """The target node has no free allocation to give the server."""


def parse_allocation(ref: str) -> tuple[str, int] | int:
    """An allocation option: an id, or (ip, port) from `ip:port`; TaskFailure for anything else."""
    if ref.isdigit():
        return int(ref)
    ip, sep, port = ref.rpartition(":")
    if not sep or not ip or not port.isdigit():
        raise TaskFailure(f"allocation: '{ref}' is neither an allocation id nor ip:port")
    return ip.strip("[]"), int(port)


def placement(server: Item) -> Item:
    """What a transfer changes: the diff's before/after."""
    return {"node": server["node"], "allocation": server.get("allocation")}


class Transfer:
    """One server's move to a node.

    The application API does not show a running transfer: the server keeps its old node until Wings reports
    success, and the allocations the transfer takes on the new node are assigned to the server from the start.
    A cancelled transfer (beta38) leaves those allocations with the server too, so reads cannot tell the two
    apart. Only the panel's answer to a transfer request can: 409 while one runs (nothing is written), 204 when
    none does (and then the transfer this task asks for starts)."""

    def __init__(self, module: PanelModule) -> None:
        self.module = module
        self.client = module.client
        self.params = module.params
        self.server: Item = required_object(self.client, self.params["server"], "server", find_application_server)
        self.node: Item = required_object(self.client, self.params["node"], "node", find_node)
        self.label = f"server '{self.server['name']}'"
        self.reserved: list[int] = []  # allocations of the target node already assigned to the server

    def node_allocations(self, query: dict[str, t.Any] | None = None) -> list[Item]:
        with failure_context(f"Could not list the allocations of node '{self.node['name']}'"):
            return self.client.collect("application.allocations.list", {"node": self.node["id"]}, query=query)

    def reserved_here(self) -> list[int]:
        """Ids of the target node's allocations assigned to the server: a transfer to the node is running, or a
        cancelled one left them."""
        return sorted(int(a["id"]) for a in self.node_allocations({"filter[server_id]": self.server["id"]}))

    def pick(self, allocations: list[Item], ref: str, option: str) -> int:
        """The id of the allocation `ref` names; it must be on the node and free."""
        wanted = parse_allocation(ref)
        found = next(
            (
                a
                for a in allocations
                if (a["id"] == wanted if isinstance(wanted, int) else (a.get("ip"), a.get("port")) == wanted)
            ),
            None,
        )
        if found is None:
            raise TaskFailure(f"{option}: node '{self.node['name']}' has no allocation '{ref}'")
        if int(found["id"]) in self.reserved:
            # A transfer releases every allocation the server had when it started, so naming one of these would
            # leave the server's new primary allocation unassigned once the move succeeds.
            raise TaskFailure(
                f"{option}: allocation '{ref}' of node '{self.node['name']}' is already assigned to {self.label} "
                f"(by a running transfer, or left by a cancelled one); name a free one. {self.how_to_free()}"
            )
        if found.get("assigned"):
            raise TaskFailure(
                f"{option}: allocation '{ref}' of node '{self.node['name']}' is already assigned to a server"
            )
        return int(found["id"])

    def allocation_ids(self) -> tuple[int, list[int]]:
        """(primary allocation id, additional ids) on the target node."""
        allocations = self.node_allocations()
        extra = [self.pick(allocations, ref, "additional_allocations") for ref in self.params["additional_allocations"]]
        if self.params["allocation"] is not None:
            return self.pick(allocations, self.params["allocation"], "allocation"), extra
        free = sorted(int(a["id"]) for a in allocations if not a.get("assigned") and int(a["id"]) not in extra)
        if not free:
            raise NoFreeAllocation(
                f"node '{self.node['name']}' has no free allocation for {self.label}; add one, or "
                "name one with the allocation option"
            )
        return free[0], extra

    def how_to_free(self) -> str:
        return (
            f"Pelican keeps the allocations a cancelled transfer gave the server on node '{self.node['name']}' "
            f"assigned to it ({', '.join(map(str, self.reserved))}). To free them, remove them from the server with "
            "ptero.panel.network_allocation (state=absent, an account API key; the server needs an allocation "
            "limit) or in the panel's admin area, or add a free allocation to the node and run this task again: "
            "a transfer that succeeds releases them"
        )

    def start(self, primary: int, extra: list[int]) -> bool:
        """Send the transfer: True when it started, False when the panel says one is running already (409)."""
        body = {"node_id": self.node["id"], "allocation_id": primary, "allocation_additional": extra}
        try:
            self.client.call("application.servers.transfer", {"server": self.server["id"]}, body=body)
        except PanelError as error:
            if error.status == 409:
                return self.conflict(error)
            if error.status == 406:
                raise TaskFailure.from_error(
                    error,
                    f"Node '{self.node['name']}' cannot take {self.label} (the panel found it not viable: not "
                    "enough free memory, disk or CPU for the server, counting the node's overallocation)",
                ) from None
            raise TaskFailure.from_error(error, f"Could not start the transfer of {self.label}") from None
        self.module.record_write(f"started the transfer of {self.label} to node '{self.node['name']}'")
        return True

    def conflict(self, error: PanelError) -> bool:
        """A 409 (ServerStateConflictException, nothing written): the server cannot move in its status, or a
        transfer of it is running. False when that transfer is the one to the target node."""
        status = self.read_server().get("status")
        if status in UNMOVABLE_STATUSES:
            raise TaskFailure.from_error(
                error, f"{self.label} cannot be transferred now: it {UNMOVABLE_STATUSES[status]}"
            ) from None
        if not self.reserved:
            raise TaskFailure.from_error(
                error,
                f"{self.label} is being transferred already, to another node (node '{self.node['name']}' has none "
                "of its allocations yet); wait until that transfer ends, or cancel it, and run the task again",
            ) from None
        return False

    def read_server(self) -> Item:
        with failure_context(f"Could not read {self.label}"):
            return self.client.call("application.servers.get", {"server": self.server["id"]})

    def wait(self, confirmed: bool = True) -> Item:
        """Until the server shows on the node. `confirmed`: the panel said a transfer runs (or this task started
        it); otherwise only allocations assigned to it on the node suggested one."""

        def describe(server: Item) -> str:
            seen = f"still on node {server.get('node')}; "
            if confirmed:
                return seen + (
                    "the transfer may still run, or Wings gave it up or it was cancelled (the server then stays on "
                    "its old node: see the panel's activity log, and run the task again to start a new transfer)"
                )
            leftovers = (
                "allocations of the node assigned to the server made this look like a move in progress, but a "
                "cancelled transfer leaves them too, and the node had no free allocation to ask the panel. "
            )
            return seen + leftovers + self.how_to_free()

        return self.module.wait_for(
            self.read_server,
            lambda server: server.get("node") == self.node["id"],
            self.params["wait_timeout"],
            f"{self.label} to arrive on node '{self.node['name']}'",
            describe,
        )

    def follow_running(self, confirmed: bool) -> Outcome:
        """A transfer to the node runs (or seems to): not sent again; waited for with wait=true."""
        waiting = self.params["wait"] and not self.module.check_mode
        server = self.wait(confirmed) if waiting else self.server
        return Outcome(
            "server",
            False,
            server,
            placement(self.server),
            placement(server),
            existed=True,
            extra={"transferred": False},
        )

    def cannot_ask(self, why: str) -> Outcome:
        """Allocations on the node are the server's, and the panel cannot be asked whether a transfer runs."""
        self.module.warn(
            f"Allocations {self.reserved} of node '{self.node['name']}' are assigned to {self.label}: a transfer to "
            f"the node is running, or a cancelled one left them; {why}"
        )
        return self.follow_running(confirmed=False)

    def ensure(self) -> Outcome:
        before = placement(self.server)
        if self.server["node"] == self.node["id"]:
            return Outcome("server", False, self.server, before, before, existed=True, extra={"transferred": False})
        self.reserved = self.reserved_here()
        if self.reserved and self.module.check_mode:
            return self.cannot_ask(
                "only a transfer request tells which, so check mode predicts no change (a real run asks the panel, "
                "which refuses it while one runs)"
            )
        try:
            primary, extra = self.allocation_ids()
        except NoFreeAllocation:
            if not self.reserved:
                raise
            no_free = "the node has no free allocation to ask the panel with, so this is taken for a running move. "
            return self.cannot_ask(no_free + self.how_to_free())
        after = {"node": self.node["id"], "allocation": primary}
        if self.module.check_mode:
            return Outcome(
                "server", True, {**self.server, **after}, before, after, existed=True, extra={"transferred": True}
            )
        if not self.start(primary, extra):
            return self.follow_running(confirmed=True)
        server = self.wait() if self.params["wait"] else self.read_server()
        return Outcome("server", True, server, before, after, existed=True, extra={"transferred": True})


class Cancel:
    """Cancelling the running transfer of a server.

    Pelican (beta38) answers 406 when no transfer of the server runs. Otherwise it marks the transfer ended in its
    database first, then tells the old node's Wings to stop sending and the new node's Wings to stop receiving; an
    error from either comes back as a 500 (with Wings beta29 the second call always fails: the panel asks for a route
    Wings does not have), while the transfer stays ended. The server keeps its node and allocations, and the
    allocations the transfer gave it on the new node stay assigned to it."""

    def __init__(self, module: PanelModule) -> None:
        self.module = module
        self.client = module.client
        self.server: Item = required_object(self.client, module.params["server"], "server", find_application_server)
        self.label = f"server '{self.server['name']}'"

    def send(self) -> bool:
        """True when the panel cancelled a running transfer (204), False when none ran (406)."""
        try:
            self.client.call("application.servers.transfer_cancel", {"server": self.server["id"]})
        except PanelError as error:
            if error.status == 406:
                return False
            raise
        return True

    def read_server(self) -> Item:
        with failure_context(f"Could not read {self.label}"):
            return self.client.call("application.servers.get", {"server": self.server["id"]})

    def outcome(self, server: Item, before: str, after: str) -> Outcome:
        """The result: the diff shows the server's placement and its transfer ("running", "cancelled", "none",
        or "unknown" in check mode)."""
        cancelled = after == "cancelled"
        return Outcome(
            "server",
            cancelled,
            server,
            {**placement(self.server), "transfer": before},
            {**placement(server), "transfer": after},
            existed=True,
            extra={"transferred": False, "cancelled": cancelled},
        )

    def cancelled(self) -> Outcome:
        self.module.record_write(f"cancelled the transfer of {self.label}")
        self.module.warn(
            f"Pelican keeps any allocations the cancelled transfer gave {self.label} on its target node assigned to "
            "it; a later transfer that succeeds releases them, or remove them with ptero.panel.network_allocation "
            "(state=absent) or in the panel's admin area"
        )
        return self.outcome(self.read_server(), "running", "cancelled")

    def after_doubtful_answer(self, first: PanelError) -> Outcome:
        """The cancel failed in a way that may have applied it (a 5xx, or an answer lost after sending): a second
        cancel tells whether the panel ended the transfer (406 now) or not."""
        first_answer = first.status or "no answer"
        try:
            ran_still = self.send()
        except PanelError as error:
            raise TaskFailure.from_error(
                error, f"Could not cancel the transfer of {self.label} (a first cancel failed too: {first_answer})"
            ) from None
        if ran_still:
            return self.cancelled()
        server = self.read_server()
        if server.get("node") != self.server.get("node"):
            # Only a transfer that succeeded moves the server, and after a cancel the panel refuses its success.
            self.module.warn(
                f"The transfer of {self.label} ended on its own before the cancel: the server is on node "
                f"{server.get('node')} now"
            )
            return self.outcome(server, "running", "finished")
        self.module.warn(
            f"The panel answered the cancel of {self.label} with an error ({first_answer}), and a second cancel "
            "found no transfer running: the panel had ended it. Pelican ends a transfer before it tells the Wings of "
            "both nodes to stop, and answers 500 when that fails (the panel's log names the cause)"
        )
        return self.cancelled()

    def ensure(self) -> Outcome:
        if self.module.check_mode:
            self.module.warn(
                f"Check mode cannot tell whether a transfer of {self.label} runs (the application API does not show "
                "one; only the cancel request tells, by its answer), so it predicts no change; a real run cancels a "
                "running transfer and reports a change"
            )
            return self.outcome(self.server, "unknown", "unknown")
        try:
            if self.send():
                return self.cancelled()
        except PanelError as error:
            if error.write_state != WRITE_UNKNOWN:
                raise TaskFailure.from_error(error, f"Could not cancel the transfer of {self.label}") from None
            return self.after_doubtful_answer(error)
        return self.outcome(self.server, "none", "none")


# Options that only say where a transfer goes: a cancel takes none (it cancels whichever transfer runs).
PLACEMENT_OPTIONS = ("node", "allocation", "additional_allocations")


def main() -> None:
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "node": {"type": "str"},
            "allocation": {"type": "str"},
            "additional_allocations": {"type": "list", "elements": "str", "default": []},
            "state": {"type": "str", "choices": ["present", "cancelled"], "default": "present"},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 900},
        },
        api="application",
        required_if=[("state", "present", ["node"])],
    )
    if module.params["wait_timeout"] < 0:
        module.fail_json(msg=f"wait_timeout: must be 0 or more, not {module.params['wait_timeout']}")
    cancelling = module.params["state"] == "cancelled"
    refused = [name for name in PLACEMENT_OPTIONS if cancelling and module.params[name]]
    if refused:
        module.fail_json(
            msg=f"{', '.join(refused)}: not used with state=cancelled, which cancels whichever transfer of the server "
            "runs (the panel's cancel takes no node); leave them out"
        )
    with module.failures_reported():
        require_pelican(module.client, "server_transfer", "server transfers")
        outcome = Cancel(module).ensure() if cancelling else Transfer(module).ensure()
    module.exit_json(**{"cancelled": False, **outcome.result()})


if __name__ == "__main__":
    main()
