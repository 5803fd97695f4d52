"""Background threads that must not slow the visit down.

Speech recognition and drafting run on worker threads next to the audio capture and the UI;
when the cores are busy, those must win.
"""

from __future__ import annotations

import os
import threading


def lower_thread_priority(nice: int = 5) -> None:
    """Make the calling worker thread (and the threads it starts, e.g. llama.cpp's or
    CTranslate2's) yield the CPU to the UI thread and the audio threads when cores are busy.

    Linux applies nice values per thread; elsewhere this does nothing. Never call it on the UI
    thread or on a thread that starts audio capture.
    """
    if not hasattr(os, "setpriority") or threading.current_thread() is threading.main_thread():
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), nice))
    except OSError:
        pass
