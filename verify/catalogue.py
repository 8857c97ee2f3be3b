"""The claim catalogues, ``docs/catalogue/<PAPER>.md``, and how much of them a run audits.

Each catalogue opens with an id table whose rows read
``| [ID](#anchor) | claim | where | provenance | audited by |``; the last cell lists the claim
ids that audit the catalogue id (in backticks) or starts with ``not audited:`` /
``not yet audited:`` and the reason. A claim audits the catalogue id that prefixes its own
(:func:`parent`). ``tests/docs/test_catalogue.py`` keeps the tables and the claim modules in
step; the report uses :func:`coverage` to say, per paper, which catalogue ids the run audited.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["Entry", "NOT_AUDITED", "read_catalogue", "parent", "coverage"]

NOT_AUDITED = ("not audited:", "not yet audited:")
"""How an 'audited by' cell starts when the id is deliberately (or not yet) audited."""

_ROW = re.compile(r"^\| \[(?P<id>[A-Z0-9]+-[A-Za-z0-9]+)\]\(#(?P<anchor>[^)]+)\) \|"
                  r".*\| (?P<cell>[^|]+) \|$", re.MULTILINE)
_LISTED = re.compile(r"`([A-Z0-9]+-[A-Za-z0-9-]+)`")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One row of a catalogue's id table.

    Attributes
    ----------
    id, anchor : str
        The catalogue id (``BL22-C2``) and its section's anchor (``bl22-c2``).
    cell : str
        The 'audited by' cell as written.
    listed : tuple of str
        The claim ids the cell names (empty when not audited).
    reason : str or None
        Why the id is not audited (the cell after ``not audited:``), else None.
    pending : bool
        The cell says ``not yet audited:`` (planned) rather than ``not audited:`` (on purpose).
    """

    id: str
    anchor: str
    cell: str
    listed: tuple[str, ...]
    reason: str | None
    pending: bool = False


def read_catalogue(path: Path) -> dict[str, Entry]:
    """The id table of the catalogue at ``path``: catalogue id -> :class:`Entry`, in order.

    Raises
    ------
    ValueError
        When the file holds no id table (the message names the file).
    """
    entries = {}
    for m in _ROW.finditer(Path(path).read_text()):
        cell = m["cell"].strip()
        reason = cell.split(":", 1)[1].strip() if cell.startswith(NOT_AUDITED) else None
        entries[m["id"]] = Entry(m["id"], m["anchor"], cell, tuple(_LISTED.findall(cell)),
                                 reason, cell.startswith(NOT_AUDITED[1]))
    if not entries:
        raise ValueError(f"{path}: no id table (rows '| [ID](#anchor) | ... | audited by |')")
    return entries


def parent(claim_id: str, catalogue_ids: Iterable[str]) -> str | None:
    """The catalogue id a claim audits: the longest one followed by '-', a lower-case letter or
    nothing (``BL22-C2-beta`` -> ``BL22-C2``, ``BL22-K3a`` -> ``BL22-K3``; ``BL22-C20`` has no
    parent among ``BL22-C2``).

    Examples
    --------
    >>> parent("BL22-C2-beta", {"BL22-C2", "BL22-C1"})
    'BL22-C2'
    """
    best = None
    for cid in catalogue_ids:
        rest = claim_id[len(cid):]
        if claim_id.startswith(cid) and (rest == "" or rest[0] == "-" or rest[0].islower()):
            if best is None or len(cid) > len(best):
                best = cid
    return best


def coverage(directory: Path, claim_ids: Iterable[str]) -> dict[str, dict[str, object]]:
    """Per paper with a catalogue in ``directory``, which of its ids the given claims audit.

    Parameters
    ----------
    directory : pathlib.Path
        The catalogue folder (``docs/catalogue``); no file there gives ``{}``.
    claim_ids : iterable of str
        The ids of the claims a run audited.

    Returns
    -------
    dict
        ``{paper: {"ids": n, "audited": [catalogue ids with a claim in the run],
        "not_audited": {id: reason} (on purpose), "pending": [ids not yet audited],
        "missing": [ids neither audited in the run nor explained]}}``, papers in file-name
        order.
    """
    claim_ids = list(claim_ids)
    result: dict[str, dict[str, object]] = {}
    for path in sorted(Path(directory).glob("*.md")):
        if path.name == "README.md":
            continue
        entries = read_catalogue(path)
        audited = {parent(c, entries) for c in claim_ids} - {None}
        result[path.stem] = {
            "ids": len(entries),
            "audited": [i for i in entries if i in audited],
            "not_audited": {i: e.reason for i, e in entries.items()
                            if i not in audited and e.reason is not None and not e.pending},
            "pending": [i for i, e in entries.items() if i not in audited and e.pending],
            "missing": [i for i, e in entries.items() if i not in audited and e.reason is None],
        }
    return result
