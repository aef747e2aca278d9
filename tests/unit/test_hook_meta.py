"""Every hookspec has a test in test_hooks.py and a section in docs/plugins.md, the plugin-author page (as Datasette does)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from antrean.kernel import hookspecs

ROOT = Path(__file__).resolve().parents[2]
HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "antrean_spec"))


def test_there_are_hooks():
    assert {"register_sops", "ticket_issued", "ticket_called", "step_completed"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook):
    from tests.unit import test_hooks

    assert hasattr(test_hooks, f"test_hook_{hook}"), f"add test_hook_{hook} to tests/unit/test_hooks.py"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docs_section(hook):
    page = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert re.search(rf"^### `?{hook}\(", page, re.M), f"add a '### {hook}(...)' section to docs/plugins.md"
