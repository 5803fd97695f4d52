"""The PySide6 desktop app on top of the Qt-free core.

Layers: ``ops`` (run work off the UI thread, callbacks on it), ``models`` (background model
loading), ``workers`` (streaming ASR worker thread), ``session`` (one visit wired to the
core), and widgets (``main_window``, ``visit_page``, ``recording_panel``, ``transcript_view``,
``note_editor``, dialogs). Start it with ``scribe-app`` or ``python -m scribe.ui``.
"""
