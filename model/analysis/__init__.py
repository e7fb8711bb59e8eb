"""Reading results: paired comparisons against the baseline (``compare``), Sobol and Morris
sensitivity (``sensitivity``), and validation against the historical record (``validation``).

May import: every layer below, ``store`` and ``batch`` included (sensitivity runs its designs on the batch
executors).
"""
