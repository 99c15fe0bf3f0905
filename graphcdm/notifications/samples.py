"""Read nova's notification sample files, resolving their ``$ref`` links.

nova's ``doc/notification_samples`` share common payloads: a dict with
``{"$ref": "file#"}`` is replaced by that file's content (path relative to
the referring file, resolved recursively) with the dict's other keys
deep-merged on top (dicts merge; lists and scalars replace).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any


def deep_merge(base: Any, override: Any) -> Any:
    """Merge ``override`` onto ``base``: dicts merge, anything else replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return override


def resolve(obj: Any, base_dir: Path, _depth: int = 0) -> Any:
    """Resolve every ``$ref`` in ``obj`` relative to ``base_dir``."""
    if _depth > 32:
        raise ValueError("$ref nesting deeper than 32")
    if isinstance(obj, list):
        return [resolve(item, base_dir, _depth) for item in obj]
    if not isinstance(obj, dict):
        return obj
    if "$ref" in obj:
        ref_path = (base_dir / obj["$ref"].split("#", 1)[0]).resolve()
        target = resolve(json.loads(ref_path.read_text()), ref_path.parent, _depth + 1)
        overrides = {k: resolve(v, base_dir, _depth) for k, v in obj.items() if k != "$ref"}
        return deep_merge(copy.deepcopy(target), overrides)
    return {key: resolve(value, base_dir, _depth) for key, value in obj.items()}


def load_sample(path: str | Path) -> Any:
    """One sample file with its references resolved."""
    path = Path(path)
    return resolve(json.loads(path.read_text()), path.parent)
