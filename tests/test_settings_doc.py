"""Every setting is documented in .env.example and the README."""

from __future__ import annotations

from pathlib import Path

from service.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_in_env_example_and_readme() -> None:
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in Settings.model_fields:
        variable = f"{ENV_PREFIX}{name.upper()}"
        assert variable in example, f"{variable} missing from .env.example"
        assert variable in readme, f"{variable} missing from README.md"
