"""pactsim: German-Soviet trade 1939-1941 under the British blockade, as a Mesa model.

The package is built in layers, each a subpackage that may import only the layers below it
(``tests/unit/test_layers.py`` holds this), lowest first:

``errors`` -> ``world`` -> ``files`` -> ``actors`` -> ``treaties`` -> ``engine`` -> ``batch``
-> ``analysis`` -> ``presentation`` -> ``cli``

README.md ("Where things are") says what each one owns.
"""

from pathlib import Path

PROJECT_ROOT = (
    Path(__file__).resolve().parent.parent
)  # the checkout: scenarios/, experiments/, results/
