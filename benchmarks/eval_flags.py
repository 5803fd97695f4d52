"""Grounding flag benchmark on ACI-Bench (see ``scribe/eval/flags.py`` and ``docs/quality.md``).

python benchmarks/eval_flags.py --split train                     # develop
python benchmarks/eval_flags.py --split valid --out benchmarks/results/flags_valid.json   # report
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from scribe.eval.flags import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
