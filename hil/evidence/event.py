"""One decoded device event."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """An evidence event exactly as the device emitted it (all values are the device's text)."""

    seq: int
    src: str
    name: str
    fields: tuple[tuple[str, str], ...]
    raw: str  # the line as received, without the line terminator

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.fields:
            if k == key:
                return v
        return default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            keys = ", ".join(k for k, _ in self.fields) or "(none)"
            raise KeyError(f"event {self.name} has no field '{key}'; it has: {keys}")
        return value

    def int(self, key: str) -> int:
        """A field as an integer (decimal or 0x-hex)."""
        return int(self[key], 0)

    def as_dict(self) -> dict[str, object]:
        return {"seq": self.seq, "src": self.src, "name": self.name, "fields": dict(self.fields)}

    def __str__(self) -> str:
        body = " ".join(f"{k}={v}" for k, v in self.fields)
        return f"#{self.seq} {self.src} {self.name}" + (f" {body}" if body else "")
