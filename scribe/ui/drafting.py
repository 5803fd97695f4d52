"""Drafting the note in the app: :meth:`scribe.workflow.VisitWorkflow.draft` on a worker, its
streamed statements and token counts turned into signals for the note editor.

Split from :class:`~scribe.ui.session.VisitSession` as :class:`~scribe.ui.capture.VisitCapture`
is: the session owns review, approval and export; this owns the one long-running model step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..domain import NoteDraft
from ..errors import DraftCancelled, ScribeError
from ..threads import lower_thread_priority
from ..workflow import VisitWorkflow
from .context import AppContext
from .ops import BackgroundOp, OpContext

log = logging.getLogger(__name__)


class NoteDrafting(QObject):
    """Runs one draft at a time for one visit; ``cancel()`` stops it between tokens."""

    started = Signal(object)  # [(section key, title)]: the editor lays out the sections
    statement = Signal(str, object)  # section key, Statement (not yet grounded)
    tokens = Signal(int)  # tokens written so far
    state_changed = Signal()  # the visit's stored state moved (drafting)
    drafted = Signal(object)  # the saved NoteDraft
    failed = Signal(object)  # the exception (a cancelled draft is not reported)
    message = Signal(str)
    error = Signal(object)

    def __init__(
        self, ctx: AppContext, workflow: VisitWorkflow, template: Callable[[], Any], parent: QObject | None = None
    ):
        super().__init__(parent)
        self.ctx = ctx
        self.workflow = workflow
        self._template = template
        self.op: BackgroundOp | None = None

    @property
    def running(self) -> bool:
        return self.op is not None and self.op.running

    def show_rolling(self, template: Any, kept: list) -> None:
        """At Stop: the sections drafted during the visit, on screen while the recogniser finishes;
        the draft then adds the rest without showing them twice."""
        if self.running or self.workflow.note is not None:
            return
        self.workflow.mark_rolling_shown([key for key, _ in kept])
        self.started.emit([(s.key, s.title) for s in template.sections])
        for key, statements in kept:
            for st in statements:
                self.statement.emit(key, st)
        self.message.emit("Finishing the transcript; the first sections were drafted during the visit…")

    def start(self) -> None:
        if self.running:
            return
        hub, workflow = self.ctx.models, self.workflow
        try:
            workflow.check_can_draft()
            template = self._template()
        except ScribeError as exc:
            self.error.emit(exc)
            return
        if not workflow.rolling_shown_for(hub.llm, template):
            self.started.emit([(s.key, s.title) for s in template.sections])
        self.message.emit("Writing the note…")

        def work(ctx: OpContext) -> NoteDraft:
            lower_thread_priority()
            tokens = [0]

            def relay(ev) -> None:  # (a worker thread: the widgets hear it through on_progress)
                tokens[0] += ev.kind == "token"
                if ev.kind == "statement" or (ev.kind == "token" and tokens[0] % 8 == 0):
                    ctx.report((ev, tokens[0]))

            def drafting() -> None:
                ctx.report(("state", "Waiting for the language model to finish loading…" if hub.llm is None else ""))

            return workflow.draft(
                lambda: hub.wait_llm(None),
                template,
                on_event=relay,
                on_drafting=drafting,
                cancelled=lambda: ctx.cancelled,
            )

        self.op = BackgroundOp(
            work, on_success=self._done, on_failure=self._failed, on_progress=self._progress, name="draft-note"
        ).start()

    def cancel(self) -> None:
        if self.op is not None:
            self.op.cancel()

    def _progress(self, item: tuple) -> None:
        if item[0] == "state":
            self.state_changed.emit()
            if item[1]:
                self.message.emit(item[1])
        elif item[0].kind == "statement":
            self.statement.emit(item[0].section_key, item[0].statement)
        else:
            self.tokens.emit(item[1])

    def _done(self, note: NoteDraft) -> None:
        self.state_changed.emit()
        self.drafted.emit(note)
        n = len(note.unresolved())
        said = f"Note drafted. {n} statement(s) need your review." if n else "Note drafted. Review it, then approve."
        self.message.emit(said + "".join(f" {line}" for line in self.workflow.notices[:1]))  # e.g. a part unformatted

    def _failed(self, exc: BaseException) -> None:
        self.state_changed.emit()
        if isinstance(exc, DraftCancelled):  # the visit was closed meanwhile
            log.info("%s", exc)
            return
        self.message.emit("Drafting failed; the recording and the transcript are saved.")
        self.failed.emit(exc)
        self.error.emit(exc)
