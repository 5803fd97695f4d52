"""Print what the frozen app ships: the core's dependencies plus the app, llama and ehr extras (pyproject.toml).

The optional HF runtime (transformers, torch) and the dev tools stay out; packaging/build.sh installs
exactly these into the build environment, pinned by packaging/constraints.txt.
"""

import tomllib
from pathlib import Path

SHIPPED_EXTRAS = ("app", "llama", "ehr")

project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]
reqs = list(project["dependencies"])
for extra in SHIPPED_EXTRAS:
    reqs += project["optional-dependencies"][extra]
print(" ".join(r.replace(" ", "") for r in reqs))
