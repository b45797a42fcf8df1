"""The Airflow DAG file (Airflow itself is not installed here: it is a production dependency with
its own constraints, so its schedules are not run). Checked: it is valid Python and every command
it runs is a real `gst` command that accepts its arguments."""

import ast
import subprocess
import sys
from pathlib import Path

DAG_FILE = Path(__file__).resolve().parents[3] / "batch_jobs" / "dags" / "gst_gold.py"


def calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name]


def keywords(call: ast.Call) -> dict:
    return {k.arg: k.value for k in call.keywords}


def test_every_task_runs_a_real_gst_command():
    tree = ast.parse(DAG_FILE.read_text())
    commands = [ast.literal_eval(keywords(c)["bash_command"]) for c in calls(tree, "BashOperator")]
    assert commands, "the DAG file runs no command"
    for command in commands:
        program, *args = command.split()
        assert program == "gst", command
        out = subprocess.run(
            [sys.executable, "-m", "gamestream", *args, "--help"], capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, f"{command}: {out.stderr}"
