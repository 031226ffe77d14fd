# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the ptero.panel info modules match the objects their options name (the one rule, kept in
module_utils/_lookup.py `same_value`)."""

from __future__ import annotations


class ModuleDocFragment:
    # ansible-doc takes a fragment only with `options` or `attributes`: this one adds notes only.
    DOCUMENTATION = r"""
options: {}
notes:
  - Matching (the same in every ptero.panel C(*_info) module) - an option that selects objects (a name, short code,
    identifier, address, event, tag, or the server, node or nest the objects belong to) matches an object only when
    the object's value equals the option's value exactly, character for character and case-sensitively; V(fra1) does
    not match V(FRA1), and V(web) does not match V(web-1). The exceptions are user names and e-mail addresses, which
    match without regard to case, as the panel itself treats them, and a nest named on Pelican, an egg tag there,
    matched without regard to case so that a Pterodactyl playbook's nest name finds the eggs whatever the spelling of
    their tag. When several options are given, an object must match all of them.
  - The panel's own filters match parts of values and ignore case; the module uses them only to ask the panel for
    fewer objects, then matches exactly as above, so they never widen the result.
"""
