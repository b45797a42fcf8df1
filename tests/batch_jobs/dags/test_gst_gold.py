"""The Airflow DAG file (Airflow itself is not installed here: it is a production dependency with
its own constraints). Checked: it is valid Python, its DAGs and schedules are what the docstring
says, and every command it runs is a real `gst` command."""

import ast
import subprocess
import sys
from pathlib import Path

DAG_FILE = Path(__file__).resolve().parents[3] / "batch_jobs" / "dags" / "gst_gold.py"


def calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name]


def keywords(call: ast.Call) -> dict:
    return {k.arg: k.value for k in call.keywords}


def test_dags_schedule_the_gold_load_and_lake_upkeep_one_run_at_a_time():
    tree = ast.parse(DAG_FILE.read_text())
    dags = {ast.literal_eval(keywords(c)["dag_id"]): keywords(c) for c in calls(tree, "DAG")}
    assert ast.literal_eval(dags["gst_gold_load"]["schedule"]) == "*/15 * * * *"
    assert ast.literal_eval(dags["gst_lake_maintenance"]["schedule"]) == "30 3 * * *"
    assert all(
        ast.literal_eval(d["max_active_runs"]) == 1 and ast.literal_eval(d["catchup"]) is False for d in dags.values()
    )


def test_the_gold_load_stages_then_builds():
    tree = ast.parse(DAG_FILE.read_text())
    shifts = [n for n in ast.walk(tree) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.RShift)]
    assert [(s.left.id, s.right.id) for s in shifts] == [("stage", "build")]


def test_every_task_runs_a_real_gst_command():
    tree = ast.parse(DAG_FILE.read_text())
    commands = [ast.literal_eval(keywords(c)["bash_command"]) for c in calls(tree, "BashOperator")]
    assert commands == ["gst gold stage", "gst gold build", "gst lake maintain"]
    for command in commands:
        args = command.split()[1:]
        out = subprocess.run(
            [sys.executable, "-m", "gamestream", *args, "--help"], capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, out.stderr
