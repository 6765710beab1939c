"""The JSON decoder every way in shares.

Field checks, including the refusal of strings no database stores (NUL, unpaired
surrogates) and of non-finite numbers, live in `listening.normalise.parse_item`.
"""

from __future__ import annotations

import json
from typing import Any


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


# One decoder for every line: NaN and Infinity are not JSON and PostgreSQL refuses them.
JSON_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
