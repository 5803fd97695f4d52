"""PyInstaller runtime hook: runs before Scribe's code in the frozen app.

sounddevice finds PortAudio with ``ctypes.util.find_library``, which looks at the system
(ldconfig), not inside the app; the app ships its own PortAudio, so the lookup is pointed there.
"""

import ctypes.util
import os
import sys

_bundle = getattr(sys, "_MEIPASS", "")
_find_library = ctypes.util.find_library


def _find_bundled_first(name):
    if name == "portaudio" and _bundle:
        for candidate in ("libportaudio.so.2", "libportaudio.so", "libportaudio.2.dylib", "libportaudio.dylib"):
            path = os.path.join(_bundle, candidate)
            if os.path.exists(path):
                return path
    return _find_library(name)


ctypes.util.find_library = _find_bundled_first
