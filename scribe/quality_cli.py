"""``scribe`` subcommands for the note-quality features (issue 6), kept apart from ``cli.py``.

``cli.build_parser`` calls :func:`add_quality_commands` once; each command follows the CLI's
contract (user mistakes raise :class:`~scribe.errors.ScribeError` -> one line, exit 2).

* ``scribe roles TRANSCRIPT --out T.json``         label speakers clinician/patient/unknown
* ``scribe instructions TRANSCRIPT --out S.json``  plain-language after-visit summary (grounded)
* ``scribe revise NOTE --transcript T --section plan --instruction "shorter"``  proposed diff;
  ``--accept-as "Dr X"`` applies it (grounding re-runs) and writes the note
* ``scribe eval [--split valid ...]``                the ACI-Bench scorecard (docs/quality.md)
"""

from __future__ import annotations

import argparse
from pathlib import Path


def cmd_roles(args) -> int:
    from .domain import SpeakerRole
    from .roles import label_roles
    from .transcript_io import load_transcript, save_json

    t = load_transcript(args.transcript)
    labelled = label_roles(t, overwrite=args.overwrite)
    save_json(Path(args.out), labelled.model_dump_json(indent=1))
    counts = {r.value: sum(1 for s in labelled.segments if s.speaker == r) for r in SpeakerRole}
    print(
        f"Speakers: {counts['clinician']} clinician, {counts['patient']} patient, {counts['unknown']} unknown "
        f"segments -> {args.out}"
    )
    if args.show:
        for s in labelled.segments:
            print(f"[{s.id}] {s.speaker.value:<9} {s.text.strip()}")
    return 0


def cmd_instructions(args) -> int:
    from .cli_common import pipeline_from_args
    from .drafting.instructions import InstructionsWriter, render_instructions
    from .pipeline import load_note
    from .transcript_io import load_transcript, save_json

    transcript = load_transcript(args.transcript)
    note = load_note(Path(args.note)) if args.note else None
    pipe = pipeline_from_args(args)
    summary = InstructionsWriter(pipe.runtime).draft(transcript, note=note)
    save_json(Path(args.out), summary.model_dump_json(indent=1))
    text = render_instructions(summary, args.patient_name)
    if args.text:
        Path(args.text).write_text(text, encoding="utf-8")
    print(text)
    g = summary.grounding
    if g:
        print(f"Grounding: {g.unsupported} of {g.statements} statements flagged unsupported")
    print(f"After-visit summary -> {args.out}" + (f" (text: {args.text})" if args.text else ""))
    return 0


def cmd_revise(args) -> int:
    from .cli_common import pipeline_from_args
    from .drafting.revise import _TO_BULLETS, _TO_PROSE, SectionReviser, accept_revision
    from .pipeline import load_note
    from .transcript_io import load_transcript, save_json

    note = load_note(Path(args.note))
    transcript = load_transcript(args.transcript)
    if note.section(args.section) is None:
        from .errors import InputError

        raise InputError(
            f"The note has no section '{args.section}' (sections: {', '.join(s.key for s in note.sections)})."
        )
    style_only = _TO_BULLETS.match(args.instruction) or _TO_PROSE.match(args.instruction)
    runtime = None if style_only else pipeline_from_args(args).runtime
    revision = SectionReviser(runtime).propose(note, args.section, args.instruction, transcript)
    print(revision.unified(), end="")
    if not revision.changed:
        print("No change proposed.")
        return 0
    if not args.accept_as:
        print('Not applied: re-run with --accept-as "Dr Name" to accept this change.')
        return 0
    updated = accept_revision(revision, args.accept_as, transcript)
    out = Path(args.out or args.note)
    save_json(out, updated.model_dump_json(indent=1))
    g = updated.grounding
    assert g is not None  # accept_revision grounds the note
    print(f"Accepted by {args.accept_as}; grounding: {g.unsupported} of {g.statements} statements flagged -> {out}")
    return 0


def cmd_eval(args) -> int:
    from .eval.aci import main

    return main(args.rest, prog="scribe eval")


def add_quality_commands(sub, common) -> None:
    """Register the commands on ``scribe``'s subparsers (``common`` adds the shared options)."""
    sp = sub.add_parser("roles", help="label transcript speakers clinician/patient from content and turn structure")
    sp.add_argument("transcript")
    sp.add_argument("--out", required=True, help="labelled transcript JSON")
    sp.add_argument("--overwrite", action="store_true", help="relabel segments that already have a speaker")
    sp.add_argument("--show", action="store_true", help="print each segment with its role")
    common(sp)
    sp.set_defaults(func=cmd_roles)

    sp = sub.add_parser("instructions", help="draft a plain-language after-visit summary for the patient")
    sp.add_argument("transcript")
    sp.add_argument("--out", required=True, help="summary JSON (reviewed and approved like a note)")
    sp.add_argument("--note", help="the visit's note JSON, to keep the summary consistent with it")
    sp.add_argument("--text", help="also write the patient's plain-text copy here")
    common(sp, llm=True)
    sp.set_defaults(func=cmd_instructions)

    sp = sub.add_parser(
        "revise", help="change one note section by instruction; shows the diff, applies it with --accept-as"
    )
    sp.add_argument("note")
    sp.add_argument("--transcript", required=True)
    sp.add_argument("--section", required=True, help="section key, e.g. plan")
    sp.add_argument("--instruction", required=True, help='e.g. "shorter", "as bullet points", "add that ..."')
    sp.add_argument("--accept-as", metavar="NAME", help="accept the change as this clinician")
    sp.add_argument("--out", help="where to write the revised note (default: in place)")
    common(sp, llm=True)
    sp.set_defaults(func=cmd_revise)

    sp = sub.add_parser(
        "eval",
        help="ACI-Bench scorecard: Scribe vs. a naive baseline (see docs/quality.md)",
        add_help=False,
        prefix_chars="\0",
    )
    sp.add_argument("rest", nargs=argparse.REMAINDER, help="options of benchmarks/eval_aci.py (--help lists them)")
    sp.set_defaults(func=cmd_eval, quiet=False)
