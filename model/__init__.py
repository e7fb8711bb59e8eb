"""pactsim: German-Soviet trade 1939-1941 under the British blockade, as a Mesa model.

The package is built in layers, each a subpackage that may import only the layers below it
(``tests/unit/test_layers.py`` holds this), lowest first:

``errors`` -> ``world`` -> ``treaties`` -> ``actors`` -> ``files`` -> ``engine`` -> ``store``
-> ``batch`` -> ``analysis`` -> ``api`` -> ``presentation`` -> ``cli``

(``record``, the historical record shipped as data, sits below them all.) ``store`` reads
and writes result folders; ``cli`` holds every ``pactsim`` command, one module each.

``api`` (model/api.py) is the public Python API, re-exported here lazily: ``load_scenario``,
``with_overrides`` (validated by the scenario schema) and ``evaluate`` (a design, vectorised).

README.md ("Where things are") says what each one owns.
"""

from pathlib import Path

PROJECT_ROOT = (
    Path(__file__).resolve().parent.parent
)  # the checkout: scenarios/, experiments/, results/

# The public API (model/api.py), imported on first use so that `import model` stays cheap.
_API = (
    "load_scenario",
    "with_overrides",
    "evaluate",
    "shock_paths",
    "DEFAULT_SEED",
    "ScenarioError",
)
__all__ = ["PROJECT_ROOT", *_API]


def __getattr__(name: str):
    if name in _API:
        from model import api

        return getattr(api, name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
