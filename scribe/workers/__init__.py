"""Native model runtimes in worker processes, behind proxies with the same interface.

llama.cpp and CTranslate2 are native code: a segmentation fault or an abort there kills the
process it runs in. Run in the app's process, it took the window, the recording and unsaved edits
with it (issue 11: a grammar llama.cpp refused, at Stop). Here each runtime runs in its own child
process (:mod:`scribe.workers.host`), and the app talks to it through a proxy:

* :class:`~scribe.workers.llm.ProcessRuntime` implements :class:`~scribe.drafting.runtimes.LLMRuntime`
  (streaming with cancellation, cheap cached ``count_tokens``, ``warm`` whose KV cache lives in
  the child, ``set_threads`` applied between tokens);
* :class:`~scribe.workers.asr.ProcessASREngine` is a :class:`~scribe.asr.engine.FasterWhisperEngine`
  whose decoding runs in the child (audio there, segments back).

A child that dies becomes a typed error naming the signal (:class:`~scribe.errors.DraftingCrashed`,
:class:`~scribe.errors.RecognitionCrashed`), its last output goes to the log, and the next request
starts a fresh child. :mod:`scribe.workers.process` is the parent's side of the pipe protocol.
"""
