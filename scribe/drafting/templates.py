"""Note templates: which sections a note has, what goes in each, and its LOINC type.

Templates are TOML files so clinics can write their own (see ``docs/templates.md``). The
built-in ones live in ``assets/templates``; the caller names the folders with the clinic's or the
user's own (the app and the CLI pass ``<data dir>/templates``), which shadow built-ins of the same
name. A template is chosen by name (``soap``) or by file path.

A section lists the blocks (:class:`Block`) of a visit note it holds (``content``); the drafter composes
it from the facts the model gave for those blocks. A section without ``content`` is written by the
model from its ``instructions``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from ..errors import TemplateError
from ..resources import asset

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_LOINC = re.compile(r"^\d{1,7}-\d$")


_STYLES = ("bullets", "prose")
_TEMPLATE_FIELDS = {"name", "title", "loinc_code", "loinc_display", "style", "sections"}
_SECTION_FIELDS = {"key", "title", "instructions", "style", "content"}


class Block(str, Enum):
    """The parts of a complete US outpatient visit note; a template section lists those it holds."""

    chief_complaint = "chief_complaint"
    history_of_present_illness = "history_of_present_illness"
    medical_history = "medical_history"
    medications = "medications"
    allergies = "allergies"
    social_history = "social_history"
    family_history = "family_history"
    review_of_systems = "review_of_systems"
    vital_signs = "vital_signs"
    physical_exam = "physical_exam"
    results = "results"
    assessment = "assessment"
    plan = "plan"
    follow_up = "follow_up"


BLOCK_TITLES = {
    Block.chief_complaint: "Chief complaint",
    Block.history_of_present_illness: "History of present illness",
    Block.medical_history: "Past medical history",
    Block.medications: "Medications",
    Block.allergies: "Allergies",
    Block.social_history: "Social history",
    Block.family_history: "Family history",
    Block.review_of_systems: "Review of systems",
    Block.vital_signs: "Vital signs",
    Block.physical_exam: "Physical exam",
    Block.results: "Results",
    Block.assessment: "Assessment",
    Block.plan: "Plan",
    Block.follow_up: "Follow-up",
}


@dataclass(frozen=True)
class TemplateSection:
    key: str
    title: str
    instructions: str
    style: str | None = None  # overrides the template's style for this section
    content: tuple[Block, ...] = ()  # the blocks composed into it; none: the model writes it from instructions


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    loinc_code: str
    loinc_display: str
    style: str  # "bullets" or "prose"
    sections: tuple[TemplateSection, ...]
    path: Path | None = None

    def section_keys(self) -> list[str]:
        return [s.key for s in self.sections]

    def section_style(self, key: str) -> str:
        """ "bullets" or "prose" for one section (its own style, else the template's)."""
        for s in self.sections:
            if s.key == key:
                return s.style or self.style
        return self.style


def parse_template(text: str, source: str = "<template>") -> Template:
    """Parse and validate one template; every problem is reported with the file name."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"Template {source} is not valid TOML: {exc}.") from None

    def need(d: dict, key: str, where: str) -> str:
        value = d.get(key)
        if not isinstance(value, str) or not value.strip():
            raise TemplateError(f"Template {source}: {where} needs a non-empty text field '{key}'.")
        return value.strip()

    name = need(data, "name", "the template")
    if not _KEY.match(name):
        raise TemplateError(f"Template {source}: name '{name}' must be lower-case letters, digits or '_'.")
    loinc = need(data, "loinc_code", "the template")
    if not _LOINC.match(loinc):
        raise TemplateError(f"Template {source}: loinc_code '{loinc}' is not a LOINC code like 11506-3.")
    style = data.get("style", "bullets")
    if not isinstance(style, str) or style not in _STYLES:
        raise TemplateError(f"Template {source}: style must be 'bullets' or 'prose', not '{style}'.")
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise TemplateError(f"Template {source} has no [[sections]].")
    sections = []
    seen = set()
    for i, sec in enumerate(raw_sections, 1):
        if not isinstance(sec, dict):
            raise TemplateError(f"Template {source}: section {i} is not a table.")
        key = need(sec, "key", f"section {i}")
        if not _KEY.match(key):
            raise TemplateError(f"Template {source}: section key '{key}' must be lower-case letters, digits or '_'.")
        if key in seen:
            raise TemplateError(f"Template {source}: section key '{key}' appears twice.")
        seen.add(key)
        sec_style = sec.get("style")
        if sec_style is not None and (not isinstance(sec_style, str) or sec_style not in _STYLES):
            raise TemplateError(
                f"Template {source}: section '{key}' style must be 'bullets' or 'prose', not '{sec_style}'."
            )
        extra = set(sec) - _SECTION_FIELDS
        if extra:
            raise TemplateError(
                f"Template {source}: section '{key}' has unknown fields: {', '.join(sorted(extra))} "
                f"(allowed: {', '.join(sorted(_SECTION_FIELDS))})."
            )
        content = sec.get("content", [])
        if not isinstance(content, list) or not all(isinstance(b, str) for b in content):
            raise TemplateError(f"Template {source}: section '{key}' content must be a list of block names.")
        unknown_blocks = [b for b in content if b not in Block.__members__]
        if unknown_blocks:
            raise TemplateError(
                f"Template {source}: section '{key}' names unknown blocks: {', '.join(unknown_blocks)} "
                f"(known: {', '.join(Block.__members__)})."
            )
        sections.append(
            TemplateSection(
                key,
                need(sec, "title", f"section '{key}'"),
                need(sec, "instructions", f"section '{key}'"),
                sec_style,
                tuple(Block(b) for b in content),
            )
        )
    claimed = [b for s in sections for b in s.content]
    twice = sorted({b.value for b in claimed if claimed.count(b) > 1})
    if twice:
        raise TemplateError(f"Template {source}: blocks in more than one section: {', '.join(twice)}.")
    unknown = set(data) - _TEMPLATE_FIELDS
    if unknown:
        raise TemplateError(f"Template {source} has unknown fields: {', '.join(sorted(unknown))}.")
    return Template(
        name=name,
        title=str(data.get("title", name)),
        loinc_code=loinc,
        loinc_display=str(data.get("loinc_display", data.get("title", name))),
        style=style,
        sections=tuple(sections),
    )


def load_template_file(path: Path) -> Template:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TemplateError(
            f"Cannot read template file {path}: it is not UTF-8 text (byte {exc.start}); save it as UTF-8."
        ) from None
    except OSError as exc:
        raise TemplateError(f"Cannot read template file {path}: {exc.strerror or exc}.") from None
    t = parse_template(text, str(path))
    return Template(**{**t.__dict__, "path": Path(path)})


def template_dirs(folders: Iterable[Path] = ()) -> list[Path]:
    """``folders`` (the user's and the clinic's, first wins), then the built-ins."""
    return [Path(p) for p in folders] + [asset("templates")]


def available_templates(folders: Iterable[Path] = ()) -> dict[str, Path]:
    """Template name -> file; templates in ``folders`` shadow built-ins of the same name."""
    found: dict[str, Path] = {}
    for d in reversed(template_dirs(folders)):
        if d.is_dir():
            for f in sorted(d.glob("*.toml")):
                found[f.stem] = f
    return found


def get_template(name_or_path: str, folders: Iterable[Path] = ()) -> Template:
    """A template by name (looked up in ``folders``, then the built-ins) or by ``.toml`` path."""
    p = Path(name_or_path)
    if p.suffix == ".toml" and p.exists():
        return load_template_file(p)
    found = available_templates(folders)
    if name_or_path not in found:
        raise TemplateError(f"Unknown template '{name_or_path}'. Available: {', '.join(sorted(found))}.")
    return load_template_file(found[name_or_path])
