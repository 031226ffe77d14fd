# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's version, sent in the User-Agent; it must equal `version` in galaxy.yml."""

from __future__ import annotations

COLLECTION_VERSION = "1.1.0"
