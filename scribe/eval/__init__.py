"""Measuring note quality (the ACI-Bench scorecard lives in :mod:`scribe.eval.aci`)."""
