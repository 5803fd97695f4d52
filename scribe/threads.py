"""Background threads that must not slow the visit down.

Speech recognition and drafting run on worker threads next to the audio capture and the UI;
when the cores are busy, those must win.
"""

from __future__ import annotations

import os
import threading
import time


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


def _tree_cpu(me) -> dict[int, float]:
    """CPU seconds used so far by this process and each of its children (the model workers), by pid."""
    import psutil

    out = {}
    for p in (me, *me.children(recursive=True)):
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.Error:  # exited meanwhile
            pass
    return out


def free_cores(total: int, sample_s: float = 0.3) -> int:
    """Cores not kept busy by *other* programs right now (at least 1, at most ``total``).

    llama.cpp's threads wait for each other at every layer: when another program keeps one of
    two cores busy, 2 threads decoded at 0.3-0.4 tok/s and 1 thread at 7-9 tok/s on the same
    machine (measured, 1.5B model). So a latency-critical draft uses only the cores that are free.
    Scribe's own work (this process and its model workers) does not count as another program's.
    """
    try:
        import psutil

        me = psutil.Process()
        sys0, own0 = psutil.cpu_times(), _tree_cpu(me)
        time.sleep(sample_s)
        sys1, own1 = psutil.cpu_times(), _tree_cpu(me)
    except Exception:  # psutil missing or the platform does not say: assume the cores are free
        return total
    idle = lambda t: t.idle + getattr(t, "iowait", 0.0)  # noqa: E731
    busy = (sum(sys1) - idle(sys1)) - (sum(sys0) - idle(sys0))
    own = sum(own1[pid] - own0[pid] for pid in own1.keys() & own0.keys())
    others = max(0.0, busy - own) / sample_s  # cores' worth of other processes' work
    return max(1, min(total, total - int(others + 0.35)))
