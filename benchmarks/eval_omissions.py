"""Omission panel benchmark on stored ACI-Bench drafts (see ``scribe/eval/omissions.py`` and ``docs/quality.md``).

python benchmarks/eval_omissions.py --results benchmarks/results/aci_valid.json --out benchmarks/results/omissions_valid.json
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from scribe.eval.omissions import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
