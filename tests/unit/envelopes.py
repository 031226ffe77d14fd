"""The panel's JSON envelopes, for the answers of the mocked panels in the unit tests.

The panel wraps one object as `{"object": <kind>, "attributes": {...}}` and a list as
`{"object": "list", "data": [...]}`, with `meta.pagination` on paginated listings; the client pages by `current_page`
and `total_pages`.
Import it as `ansible_collections.ptero.panel.tests.unit.envelopes` (tests/unit/conftest.py makes that path).
"""

from __future__ import annotations

import typing as t

Attributes = t.Mapping[str, t.Any]
# The page size the collection asks for on application listings.
PER_PAGE = 100


def item(kind: str, attributes: Attributes) -> dict[str, t.Any]:
    """One object of `kind` ("server", "user", ...)."""
    return {"object": kind, "attributes": attributes}


def listing(kind: str, items: t.Sequence[Attributes], current_page: int = 1, total_pages: int = 1) -> dict[str, t.Any]:
    """One page of a paginated listing of `kind` objects (page `current_page` of `total_pages`)."""
    return {
        "object": "list",
        "data": [item(kind, attributes) for attributes in items],
        "meta": {
            "pagination": {
                "total": len(items) * total_pages,
                "count": len(items),
                "per_page": PER_PAGE,
                "current_page": current_page,
                "total_pages": total_pages,
                "links": {},
            }
        },
    }


def unpaged(kind: str, items: t.Sequence[Attributes]) -> dict[str, t.Any]:
    """A list without pagination (the client API's short lists, an include's relationship)."""
    return {"object": "list", "data": [item(kind, attributes) for attributes in items]}
