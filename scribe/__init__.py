"""Scribe: a local-first ambient AI scribe.

The ``scribe`` package is the Qt-free core (domain types, audio, speech recognition, note
drafting, grounding, FHIR export, storage). ``scribe.ui`` is the PySide6 desktop layer on top.
"""

__version__ = "0.1.0"
