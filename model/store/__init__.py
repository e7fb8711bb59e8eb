"""The result store: what a result folder holds on disk and how it is written and read.

``results`` writes a complete folder in one go (``pactsim run``, ``sensitivity``: a hidden
partial sibling renamed into place) and records provenance; ``folder`` is a batch's folder
(streamed parts, resume, consolidation into ``outcomes.parquet`` and ``trajectories.nc``);
``checksums`` the sizes, SHA-256 and identities that done-markers and manifests record.

May import: ``model.errors``, ``model.world``, ``model.files``, ``model.engine`` (the
outcome table's Arrow schema and the trajectories' CF attributes).
"""
