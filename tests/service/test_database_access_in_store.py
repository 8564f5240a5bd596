"""The service reads and writes the database only through the repositories in openimr.store.

Every SQL statement (select, insert, update, delete) and every call on the session lives in
``src/openimr/store``; the modules of ``src/openimr/service`` pass their session on, and so do
the shells above the service (``api/``, ``web/``, ``cli/``), which may also open, commit, roll
back and close a session.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "openimr"
SERVICE = PACKAGE / "service"
SHELLS = [PACKAGE / "api", PACKAGE / "web", PACKAGE / "cli"]

STATEMENTS = {"select", "insert", "update", "delete", "text"}
SESSION_CALLS = {
    "add",
    "begin_nested",
    "delete",
    "execute",
    "flush",
    "get",
    "merge",
    "query",
    "scalar",
    "scalars",
}
ALLOWED_SQLALCHEMY = {("sqlalchemy.orm", "Session")}
"""What a service module may import from SQLAlchemy: the session's type, to pass it on."""
SHELL_SQLALCHEMY = {
    ("sqlalchemy", "Engine"),
    ("sqlalchemy.orm", "sessionmaker"),
    ("sqlalchemy.exc", "DataError"),
}
"""What a shell may import besides: the engine and session factory it opens sessions with, and
the database error it turns into an HTTP answer."""


def _is_session(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "session"
    return isinstance(node, ast.Attribute) and node.attr == "session"


def problems_in(path: Path, allowed: set[tuple[str, str]] = ALLOWED_SQLALCHEMY) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            for alias in node.names:
                if (node.module, alias.name) not in allowed:
                    found.append(f"{where} imports {alias.name} from {node.module}")
        elif isinstance(node, ast.Import):
            found.extend(
                f"{where} imports {a.name}" for a in node.names if a.name.startswith("sqlalchemy")
            )
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in STATEMENTS:
                found.append(f"{where} builds a SQL statement ({func.id})")
            elif (
                isinstance(func, ast.Attribute)
                and func.attr in SESSION_CALLS
                and _is_session(func.value)
            ):
                found.append(f"{where} calls session.{func.attr}")
    return found


def test_service_modules_hold_no_sql_and_no_session_calls() -> None:
    paths = sorted(SERVICE.rglob("*.py"))
    assert paths, SERVICE
    problems = [p for path in paths for p in problems_in(path)]
    assert not problems, "\n".join(problems)


def test_the_api_pages_and_command_line_hold_no_sql_and_no_session_calls() -> None:
    paths = sorted(p for shell in SHELLS for p in shell.rglob("*.py"))
    assert len(paths) > 10, SHELLS
    allowed = ALLOWED_SQLALCHEMY | SHELL_SQLALCHEMY
    problems = [p for path in paths for p in problems_in(path, allowed)]
    assert not problems, "\n".join(problems)


def test_the_guard_sees_inline_sql(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from sqlalchemy import select\n"
        "def f(self):\n"
        "    self.session.scalars(select(Row))\n"
        "    session.delete(row)\n"
    )
    assert len(problems_in(sample)) == 4
