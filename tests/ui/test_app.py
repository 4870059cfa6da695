"""The Gradio app as built (no server, no model): one public endpoint, offline theme, local launch."""

from __future__ import annotations

from typer.testing import CliRunner

from embeddings.settings import Settings
from qa.cli import app as cli
from ui.app import EXAMPLES, build_app, chosen_month, months_frame, theme
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


def test_a_chart_selection_names_a_month() -> None:
    months = ["2024-01", "2024-02"]
    assert chosen_month(["2024-02", "2024-01"], months) == "2024-02"
    assert chosen_month("2024-01", months) == "2024-01"
    assert chosen_month([1.5, 3.0], months) is None and chosen_month([], months) is None
    frame = months_frame([("2024-01", 4), ("2024-02", 6)])
    assert list(frame.columns) == ["month", "stories"] and frame["stories"].tolist() == [4, 6]
