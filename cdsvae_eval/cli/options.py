"""Parsing of repeated ``--set key=value`` options shared by commands."""

from __future__ import annotations

from cdsvae_eval.errors import ConfigError


def parse_key_values(pairs: tuple[str, ...], option: str = "--set") -> dict[str, str]:
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"{option} expects key=value, got {pair!r}")
        parsed[key.strip()] = value.strip()
    return parsed
