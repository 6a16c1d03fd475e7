"""The war map is drawn in a child process: the caller never loads matplotlib, and a failure says what went wrong."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from present import warmap_png

ROOT = Path(__file__).resolve().parent.parent


def test_drawing_a_map_leaves_matplotlib_out_of_the_calling_process():
    code = textwrap.dedent("""
        import sys
        from datetime import date
        from present import warmap_png
        (page,) = warmap_png.render_pages([], title="空专班", today=date(2026, 11, 20), lang="zh")
        assert page.png.startswith(b"\\x89PNG")
        print(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib"))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_renderer_that_takes_too_long_is_stopped_with_a_clear_error():
    with pytest.raises(warmap_png.MapRenderError, match=r"longer than 0\.01 s"):
        warmap_png.render_pages([], title="空专班", today=date(2026, 11, 20), lang="zh", timeout=0.01)


def test_a_model_the_renderer_cannot_read_fails_with_its_reason():
    with pytest.raises(warmap_png.MapRenderError, match="KeyError"):
        warmap_png.draw_in_child({"pages": [{"rows": []}]})


def test_the_childs_warnings_and_log_records_are_replayed_in_the_caller(caplog):
    lines = b'{"warning": "UserWarning: Glyph 128640 missing"}\n{"log": "findfont: x", "logger": "matplotlib.font_manager", "level": 30}\n'
    with pytest.warns(UserWarning, match="Glyph 128640 missing"), caplog.at_level(logging.WARNING):
        assert warmap_png._replay(lines + b'{"error": "boom"}\n') == "boom"
    assert [r.name for r in caplog.records] == ["matplotlib.font_manager"]
