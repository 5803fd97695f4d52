"""Note templates: which sections a note has, what goes in each, and its LOINC type.

Templates are TOML files so clinics can write their own (see ``docs/templates.md``). The
built-in ones live in ``assets/templates``; user templates in ``<data dir>/templates`` or any
folder passed explicitly. A template is chosen by name (``soap``) or by file path.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import TemplateError
from ..resources import asset

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_LOINC = re.compile(r"^\d{1,7}-\d$")


_STYLES = ("bullets", "prose")
_TEMPLATE_FIELDS = {"name", "title", "loinc_code", "loinc_display", "style", "sections"}
_SECTION_FIELDS = {"key", "title", "instructions", "style"}


@dataclass(frozen=True)
class TemplateSection:
    key: str
    title: str
    instructions: str
    style: str | None = None  # overrides the template's style for this section


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
        sections.append(
            TemplateSection(
                key, need(sec, "title", f"section '{key}'"), need(sec, "instructions", f"section '{key}'"), sec_style
            )
        )
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


def template_dirs(extra: Iterable[Path] = ()) -> list[Path]:
    from ..settings import load_settings

    dirs = [Path(p) for p in extra]
    try:
        dirs.append(load_settings().data_path / "templates")
    except Exception:  # settings problems are reported elsewhere; templates still work
        pass
    dirs.append(asset("templates"))
    return dirs


def available_templates(extra: Iterable[Path] = ()) -> dict[str, Path]:
    """Template name -> file; user folders shadow built-ins of the same name."""
    found: dict[str, Path] = {}
    for d in reversed(template_dirs(extra)):
        if d.is_dir():
            for f in sorted(d.glob("*.toml")):
                found[f.stem] = f
    return found


def get_template(name_or_path: str, extra: Iterable[Path] = ()) -> Template:
    p = Path(name_or_path)
    if p.suffix == ".toml" and p.exists():
        return load_template_file(p)
    found = available_templates(extra)
    if name_or_path not in found:
        raise TemplateError(f"Unknown template '{name_or_path}'. Available: {', '.join(sorted(found))}.")
    return load_template_file(found[name_or_path])
