# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server databases: the name the panel stores them under (database, server_database and their info modules)."""

from __future__ import annotations


def database_full_name(server_id: int, name: str) -> str:
    """The name the panel stores a server's database under: `s<server id>_<name>`, cut to 48 characters as the
    panel cuts it. `name` may already carry the prefix. `server_id` is the numeric id (client API: `internal_id`)."""
    prefix = f"s{server_id}_"
    return (name if name.startswith(prefix) else prefix + name)[:48]
