"""Objects as people read them: YAML in the order Kubernetes shows fields."""

from __future__ import annotations

from typing import Any


def to_yaml(objects: list[dict[str, Any]]) -> str:
    """Objects as one YAML document each, fields in the order Kubernetes shows them."""
    import yaml  # type: ignore[import-untyped]

    class Dumper(yaml.SafeDumper):  # type: ignore[misc]
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def sequence(dumper: yaml.SafeDumper, data: list[Any]) -> Any:
        numbers = bool(data) and all(type(x) in (int, float) for x in data)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=numbers)

    Dumper.add_representer(list, sequence)
    text: str = yaml.dump_all(objects, Dumper=Dumper, sort_keys=False, width=100)
    return text
