# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes shared by ptero.panel modules."""

from __future__ import annotations


class ModuleDocFragment:
    # Resource modules: full check and diff mode support.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    description: In check mode nothing is written to the panel; the result shows what would be.
  diff_mode:
    support: full
    description: Shows the managed fields before and after the change.
"""

    # Info modules only read.
    INFO = r"""
attributes:
  check_mode:
    support: full
    description: The module only reads, so it runs the same way in check mode.
  diff_mode:
    support: N/A
    description: The module only reads and has nothing to show in a diff.
"""
