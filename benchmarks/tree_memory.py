"""Peak memory of a process *tree*: the app and its model worker processes (scribe.workers).

Since the models run in child processes, the app's own peak RSS (VmHWM) no longer includes them.
This samples the whole tree every ``interval_s``:

* ``peak_rss_gb``: the largest sum of the processes' RSS seen at one moment. RSS counts pages shared
  between processes (Python's and numpy's libraries, loaded in each) once per process, so this
  over-states what the tree takes; it is the figure held against the 3 GB target.
* ``peak_pss_gb``: the same for PSS (shared pages split between the processes that map them), the
  tree's actual footprint (Linux only; sampled less often, it reads every mapping).
* ``hwm_sum_gb``: the sum of each process's own peak (VmHWM): an upper bound, as the peaks of
  different processes need not coincide.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path


def _status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _pss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


class TreeMemory:
    def __init__(self, interval_s: float = 0.1, pss_every: int = 10):
        import psutil

        self._me = psutil.Process()
        self.interval_s = interval_s
        self.pss_every = pss_every
        self.peak_rss = 0
        self.peak_pss = 0
        self.hwm: dict[int, int] = {}  # pid -> VmHWM bytes, the largest seen
        self.names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-memory", daemon=True)

    def _tree(self) -> list:
        import psutil

        try:
            return [self._me, *self._me.children(recursive=True)]
        except psutil.Error:
            return [self._me]

    def sample(self, with_pss: bool = False) -> None:
        import psutil

        rss = pss = 0
        for p in self._tree():
            try:
                rss += p.memory_info().rss
                if p.pid not in self.names:
                    cmd = p.cmdline()
                    self.names[p.pid] = " ".join(cmd[-2:]) if "scribe.workers.host" in cmd else "app"
            except psutil.Error:
                continue
            hwm = _status_kb(p.pid, "VmHWM")
            if hwm is not None:
                self.hwm[p.pid] = max(self.hwm.get(p.pid, 0), hwm * 1024)
            if with_pss:
                pss += (_pss_kb(p.pid) or 0) * 1024
        self.peak_rss = max(self.peak_rss, rss)
        if with_pss:
            self.peak_pss = max(self.peak_pss, pss)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            self.sample(with_pss=n % self.pss_every == 0)
            n += 1
            time.sleep(self.interval_s)

    def start(self) -> TreeMemory:
        self._thread.start()
        return self

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        self.sample(with_pss=True)
        return self.result()

    def result(self) -> dict:
        return {
            "peak_rss_gb": self.peak_rss / 1e9,
            "peak_pss_gb": self.peak_pss / 1e9 if self.peak_pss else None,
            "hwm_sum_gb": sum(self.hwm.values()) / 1e9,
            "hwm_by_process_gb": {f"{self.names.get(pid, pid)} ({pid})": v / 1e9 for pid, v in self.hwm.items()},
        }
