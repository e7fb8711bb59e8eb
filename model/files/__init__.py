"""Scenario files: TOML loading and ``extends`` (``scenario``), the schema every file is
checked against (``schema``), declared with the node types (``nodes``) and cross-key rules
(``rules``) that the experiment and validation-target schemas use too.

The schema declares the names of treaty rules and delivery profiles as data, so this layer
does not import the treaties; a unit test holds that the two agree.

May import: ``model.errors``, ``model.world``.
"""
