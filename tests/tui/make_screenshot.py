"""Regenerate docs/img/tui.svg, the README's picture of the TUI, from the seeded test store.

Run: .venv/bin/python tests/tui/make_screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from backcheck_tui.app import BackcheckApp
from backcheck_tui.messages import SignalsReady
from test_snapshots import SIGNALS
from textual._doc import take_svg_screenshot
from tui_seed import fixed_clock, seed, use_utc

OUT = Path(__file__).resolve().parents[2] / "docs" / "img" / "tui.svg"


def main(tab: str = "checklist") -> None:
    use_utc()
    with tempfile.TemporaryDirectory() as tmp:
        ws = seed(Path(tmp) / "shop")

        async def run_before(pilot) -> None:
            app: BackcheckApp = pilot.app
            await app.wait_for(lambda: app.state.loaded)
            app.post_message(SignalsReady(SIGNALS, app.state.task_id))
            await app.wait_for(lambda: app.signals is not None)
            app.action_show_tab(tab)
            await pilot.pause()

        app = BackcheckApp(ws, auto_check=False, clock=fixed_clock())
        svg = take_svg_screenshot(app, terminal_size=(110, 30), run_before=run_before,
                                  title="backcheck tui")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(svg, encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(*sys.argv[1:])
