"""Ground a few note statements against a dialogue: the set-up the grounding tests share."""

from scribe.domain import NoteDraft, Section, Severity, Statement
from scribe.grounding import ground_note
from scribe.transcript_io import parse_dialogue


def grounded(dialogue: str, *texts: str, evidence: list[int] | None = None) -> list[Statement]:
    """The statements ``texts`` (one section, each citing ``evidence``) as the check leaves them."""
    statements = [Statement(text=t, evidence=list(evidence or [])) for t in texts]
    note = NoteDraft(sections=[Section(key="s", title="S", statements=statements)])
    return ground_note(note, parse_dialogue(dialogue)).statements()


def safety(st: Statement) -> list[str]:
    """The kinds of a statement's safety flags (review hints left out)."""
    return [i.kind for i in st.issues if i.severity == Severity.safety]
