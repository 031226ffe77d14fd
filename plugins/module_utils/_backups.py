# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backups: the states Wings reports a backup in (backup, backup_info and power modules)."""

from __future__ import annotations

import typing as t


def backup_failed(backup: t.Mapping[str, t.Any]) -> bool:
    """A backup Wings reported as failed: finished (completed_at set) without success."""
    return not backup.get("is_successful") and backup.get("completed_at") is not None


def backup_running(backup: t.Mapping[str, t.Any]) -> bool:
    return not backup.get("is_successful") and backup.get("completed_at") is None
