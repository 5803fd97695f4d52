"""ACI-Bench scorecard (see ``scribe/eval/aci.py`` and ``docs/quality.md``).

nice -n 19 python benchmarks/eval_aci.py --split valid --templates aci --out benchmarks/results/aci_valid.json
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from scribe.eval.aci import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
