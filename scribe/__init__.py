"""Scribe: a local-first ambient AI scribe.

The ``scribe`` package is the Qt-free core (domain types, audio, speech recognition, note
drafting, grounding, FHIR export, storage). ``scribe.ui`` is the PySide6 desktop layer on top.

Importing the package first switches off the telemetry of every library Scribe may load and
puts model hubs offline (``scribe.offline``), before any of those libraries is imported.
"""

from . import offline as _offline

_offline.apply()

__version__ = "0.1.0"
