"""Data subjects' rights and retention (MR-004 opt-out model): the opt-out registry, erasure
and access across past releases, and purge of releases and workspaces past their retention.

Everything lives in the secure workspace root (``base``, the requests' ``workspace:``
folder), next to the per-request workspaces: ``optout-registry.csv``, ``releases.jsonl`` and
the hash-chained ``rights-audit.jsonl``. Nothing here imports Prefect. See README.md.
"""
