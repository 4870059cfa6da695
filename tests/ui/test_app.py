"""The Gradio app as built (no server, no model): one public endpoint, offline theme, local launch."""

from __future__ import annotations

import re

import gradio as gr
from typer.testing import CliRunner

from embeddings.settings import Settings
from qa.cli import app as cli
from ui.app import EXAMPLES, build_app, clicked_month, theme
from ui.render import months_chart_html
from ui.server import host_warning, launch_options


def test_only_answer_is_public(settings: Settings) -> None:
    demo = build_app(settings)
    assert set(demo.get_api_info()["named_endpoints"]) == {"/answer"}
    params = demo.get_api_info()["named_endpoints"]["/answer"]["parameters"]
    assert [p["parameter_name"] for p in params] == ["question", "history_json"]
    assert params[1]["parameter_default"] == "[]"


def test_theme_fetches_no_fonts() -> None:
    sheets = theme()._stylesheets
    assert not any(str(sheet).startswith("http") for sheet in sheets), sheets


def test_launch_is_local_and_private() -> None:
    options = launch_options("127.0.0.1", 7860)
    assert options["server_name"] == "127.0.0.1" and options["share"] is False
    assert options["ssr_mode"] is False and options["mcp_server"] is False
    assert options["enable_monitoring"] is False and options["run_history"] is False


def test_open_host_warns() -> None:
    assert host_warning("127.0.0.1") is None and host_warning("localhost") is None
    assert "network" in host_warning("0.0.0.0")
    assert host_warning("192.168.1.5") is not None


def test_examples_are_questions() -> None:
    assert "前黄浜全长多少公里？" in EXAMPLES and all(q.endswith("？") for q in EXAMPLES)


def test_serve_command_help() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--host", "--port", "--index", "--model", "--home", "127.0.0.1", "7860"):
        assert option in result.output


def test_the_month_chart_has_a_bar_per_month_and_a_click_names_one() -> None:
    chart = months_chart_html([("2024-01", 4), ("2024-03", 8)], chosen="2024-03")
    bars = re.findall(r'<button class="nqa-bar" data-month="([\d-]+)" data-stories="(\d+)"', chart)
    assert bars == [("2024-01", "4"), ("2024-02", "0"), ("2024-03", "8")]  # the gap is a bar of 0
    assert "height:50.0%" in chart and "height:100.0%" in chart
    assert chart.count('aria-pressed="true"') == 1 and 'data-month="2024-03" data-stories="8" title' in chart
    assert "<button" not in months_chart_html([("2024-12", 1), ("2025-01", 2)], clickable=False)
    assert months_chart_html([]) == ""
    months = ["2024-01", "2024-02"]
    assert clicked_month(gr.EventData(None, {"month": "2024-02"}), months) == "2024-02"
    assert clicked_month(gr.EventData(None, {"month": "2023-02"}), months) is None
    assert clicked_month(gr.EventData(None, {}), months) is None
