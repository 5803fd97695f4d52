"""Diagnostic tests by name: one list for the tests a visit orders and the tests a note reports a result for.

The omission panel lists a test ordered ("I'd like to get an echo"); the result check asks a note's "Echo: normal"
for a result said in the visit. Both read the same names, so a name added for one is read by the other. Matched on
:func:`scribe.textnorm.normalise`'d text; "E.C.G." is how a typed or spoken transcript often spells it.
"""

from __future__ import annotations

import re

TEST = re.compile(
    r"\b(?:e\.?\s?c\.?\s?g|e\.?\s?k\.?\s?g|electrocardiogram|echo(?:cardiogram)?|x\s?-?\s?rays?|xrays?|radiographs?|"
    r"ct(?:\s+scan)?|cat\s+scan|mri|ultrasound|sonogram|mammogram|blood\s?work|labs?|lab\s+work|"
    r"a1c|hemoglobin\s+a\s?1\s?c|cbc|complete\s+blood\s+count|urinalysis|urine\s+(?:test|sample|dip)|"
    r"biops(?:y|ies)|(?<!valgus )(?<!varus )stress\s+test|imaging|cultures?|colonoscopy|endoscop(?:y|ies|e|ic)|"
    r"spirometry|(?:lipid|metabolic)\s+panel|thyroid\s+(?:test|panel)s?|tsh|holter(?:\s+monitor)?|pap\s+smear|"
    r"bone\s+density|nerve\s+conduction|emg|sleep\s+study|psa)\b"
)
