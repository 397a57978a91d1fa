"""Runnable measurements: `python -m evals.<name> --json` prints one JSON object."""
