# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IP and port expansion as the panel does it, and listing a node's allocations for given ips and ports."""

from __future__ import annotations

import ipaddress
import re
import socket
import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient
from ansible_collections.ptero.panel.plugins.module_utils._module import TaskFailure

PORT_PATTERN = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
MAX_RANGE = 1000
# Ports listed per request with the exact `filter[port]` (a comma list is an IN query); keeps URLs short.
PORTS_PER_QUERY = 200


class AllocationInputError(TaskFailure, ValueError):
    """Bad `ip` or `ports`; the message names the option."""


def expand_ports(entries: t.Iterable[str]) -> list[int]:
    ports: set[int] = set()
    for entry in entries:
        text = str(entry).strip()
        match = PORT_PATTERN.match(text)
        if not match:
            raise AllocationInputError(f"ports: '{entry}' is not a port or a range like 25565-25570")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first:
            raise AllocationInputError(f"ports: range '{entry}' ends before it starts")
        if last - first + 1 > MAX_RANGE:
            raise AllocationInputError(f"ports: range '{entry}' has more than {MAX_RANGE} ports, the panel's limit")
        if first <= 1024 or last > 65535:
            raise AllocationInputError(f"ports: '{entry}' is outside 1025-65535, the ports the panel allows")
        ports.update(range(first, last + 1))
    if not ports:
        raise AllocationInputError("ports: give at least one port")
    return sorted(ports)


def expand_ips(value: str) -> list[str]:
    text = value.strip()
    if "/" in text:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise AllocationInputError(f"ip: '{value}' is not a valid CIDR block") from None
        if not 25 <= network.prefixlen <= 32 or network.version != 4:
            raise AllocationInputError(f"ip: '{value}': the panel only expands IPv4 blocks from /25 to /32")
        return [str(addr) for addr in network] if network.prefixlen < 32 else [str(network.network_address)]
    try:
        return [str(ipaddress.ip_address(text))]
    except ValueError:
        pass
    try:
        return [socket.gethostbyname(text)]
    except OSError:
        raise AllocationInputError(f"ip: '{value}' is neither an IP address nor a resolvable host name") from None


def list_node_allocations(client: PanelClient, node_id: int, ips: list[str], ports: list[int]) -> list[dict[str, t.Any]]:
    """The node's allocations on `ips` x `ports`, found with the exact ip/port filters."""
    found: list[dict[str, t.Any]] = []
    wanted_ports = set(ports)
    for ip in ips:
        for start in range(0, len(ports), PORTS_PER_QUERY):
            chunk = ports[start:start + PORTS_PER_QUERY]
            query = {"filter[ip]": ip, "filter[port]": ",".join(str(p) for p in chunk)}
            found.extend(a for a in client.collect("application.allocations.list", {"node": node_id}, query=query)
                         if a["ip"] == ip and int(a["port"]) in wanted_ports)
    return found
