"""Extraction evals: the scorer (``evals.scorer``) and the runner (``python -m evals``)."""
