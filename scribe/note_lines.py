"""A note as lines of text, and what the physician's edits to those lines mean for its statements.

The note editor shows one line per statement and lets the physician type freely. It never
decides what an edit means: :func:`diff_changes` maps the edited lines back to the statements
they came from (a line diff, so splitting, merging, inserting and deleting lines all become
edit / add / delete of statements), and :func:`apply_changes` applies those changes through the
approval rules (``scribe.approval``), re-grounding what changed. Qt-free, so the CLI, the app
and the tests share it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from . import approval
from .domain import NoteDraft, Severity, Statement, Transcript

SAME_STATEMENT_RATIO = 0.5  # how alike an edited line must stay to remain "the same statement"


@dataclass
class LineInfo:
    """What the editor knows about a statement on a line (a view of the core's Statement)."""

    id: str | None
    text: str
    # supported | review (supported, with hints) | unsupported (a safety flag) | confirmed | pending (not yet checked)
    status: str = "supported"
    issues: tuple[str, ...] = ()  # safety flags: must be edited or confirmed before approval
    evidence: tuple[int, ...] = ()
    hints: tuple[str, ...] = ()  # review hints: shown, never blocking

    @classmethod
    def of(cls, st: Statement) -> LineInfo:
        # one statement, one line: a line break inside a statement would split it in two
        text = " ".join(str(st.text).split())
        status = str(getattr(st.status, "value", st.status))
        safety = tuple(i.detail for i in st.issues if getattr(i, "severity", Severity.safety) != Severity.review)
        hints = tuple(i.detail for i in st.issues if getattr(i, "severity", None) == Severity.review)
        if status == "supported" and hints:
            status = "review"
        return cls(st.id, text, status, safety or (hints if status == "unsupported" else ()), tuple(st.evidence), hints)


class ChangeKind(StrEnum):
    edit = "edit"
    add = "add"
    delete = "delete"


@dataclass(frozen=True)
class LineChange:
    """One edit the physician made to a section's lines.

    ``edit``/``delete``: ``statement_id`` is the statement changed. ``add``: the new statement
    follows ``statement_id`` (``None``: first in its section), or, with ``after_previous_add``,
    the statement the previous change added (lines typed one after another stay in order).
    """

    kind: ChangeKind
    section_key: str
    statement_id: str | None
    text: str = ""
    after_previous_add: bool = False


def match_lines(baseline: list[LineInfo], lines: list[str]) -> tuple[list[LineInfo | None], list[LineInfo]]:
    """Map edited ``lines`` (blank ones included) back to ``baseline`` statements.

    Returns one entry per line (the statement it continues, or None for a new line or a blank
    one) and the statements whose lines are gone.
    """
    idx = [i for i, ln in enumerate(lines) if ln.strip()]
    b = [lines[i].strip() for i in idx]
    a = [s.text.strip() for s in baseline]
    out: list[LineInfo | None] = [None] * len(lines)
    deleted: list[LineInfo] = []
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                out[idx[j1 + k]] = baseline[i1 + k]
        elif tag == "replace":
            # A changed line continues the statement it replaced if it still resembles it;
            # otherwise the old statement was deleted and this is a new one.
            used = set()
            for k in range(j2 - j1):
                best, best_r = None, 0.0
                for i in range(i1, i2):
                    if i in used:
                        continue
                    r = difflib.SequenceMatcher(None, a[i].lower(), b[j1 + k].lower(), autojunk=False).ratio()
                    if r > best_r:
                        best, best_r = i, r
                if best is not None and best_r >= SAME_STATEMENT_RATIO:
                    used.add(best)
                    out[idx[j1 + k]] = baseline[best]
            deleted.extend(baseline[i] for i in range(i1, i2) if i not in used)
        elif tag == "delete":
            deleted.extend(baseline[i1:i2])
    return out, deleted


def diff_changes(section_key: str, baseline: list[LineInfo], lines: list[str]) -> list[LineChange]:
    """The edits that turn ``baseline``'s statements into ``lines`` (empty: nothing changed)."""
    mapped, deleted = match_lines(baseline, lines)
    changes: list[LineChange] = []
    prev: str | None = None
    prev_added = False
    for line, info in zip(lines, mapped):
        text = line.strip()
        if not text:
            continue
        if info is None:
            changes.append(LineChange(ChangeKind.add, section_key, prev, text, after_previous_add=prev_added))
            prev, prev_added = None, True
            continue
        if text != info.text.strip():
            changes.append(LineChange(ChangeKind.edit, section_key, info.id, text))
        prev, prev_added = info.id, False
    for info in deleted:
        changes.append(LineChange(ChangeKind.delete, section_key, info.id, ""))
    return changes


def apply_changes(
    note: NoteDraft, changes: Iterable[LineChange], clinician: str, transcript: Transcript | None = None
) -> NoteDraft:
    """The note with the physician's line changes applied through the approval rules (each change
    attributed to ``clinician``; with the transcript, what changed is grounded again).
    Raises ScribeError (and changes nothing) if any change breaks a rule."""
    last_added: str | None = None
    for ch in changes:
        if ch.kind == ChangeKind.add:
            after = last_added if ch.after_previous_add else ch.statement_id
            note, last_added = approval.add_statement(
                note, ch.section_key, ch.text, clinician, after=after, transcript=transcript
            )
        elif ch.statement_id is not None:
            text = ch.text if ch.kind == ChangeKind.edit else ""
            note = approval.edit_statement(note, ch.statement_id, text, clinician, transcript)
    return note
