"""``portlint report``: how far a code base is from running off CUDA, as a readiness report.

One check per run, for every target at once (``collect``), turned into numbers once
(``model``), then rendered by the output file's extension (``html`` with ``svg`` charts,
``markdown``, ``data`` for JSON and CSV) plus a short terminal summary (``terminal``).
``command`` ties them together for the CLI. Nothing here is imported by ``portlint check``.
"""
