"""SQL names written into statements the warehouse builds from its own schema (tables, columns).

Names come from the project's SQL files, data files and asset frames, never from a user, but they are
still quoted as SQL spells them: a double quote inside a name is doubled, so no name can end its quotes.
"""

from __future__ import annotations


def ident(*parts: str) -> str:
    """``"schema"."table"."column"``: each part quoted, joined by dots."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)
