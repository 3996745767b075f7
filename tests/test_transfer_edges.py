"""Transfer edge cases, with outcomes taken from docs/moving-data.md.

- load: blank lines are ignored; a bad line is refused with its line number and the
  rest loads; the command exits with 2 when anything was refused.
- import-folder: every file is checked before it is written; a file that fails is
  reported with its path and reason, nothing of it is written, the rest is imported.
- Transfers write in batches, one transaction each (`write_artifacts`): a database
  failure stops the transfer with the library's error, the batches before it stay
  written, and running it again (existing artifacts are skipped) completes it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from mlte_store import ArtifactRepository, ErrorDatabase, transfer

from .helpers import ids

SCRIPT = Path(sys.executable).with_name("mlte-store")


def artifact(identifier: str, level: str = "version", **body: Any) -> dict[str, Any]:
    return {
        "header": {"identifier": identifier, "type": "evidence", "level": level},
        "body": {"artifact_type": "evidence", **body},
    }


def line(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False) + "\n").encode("utf-8")


MODEL = {"kind": "model", "model": "m"}
VERSION = {"kind": "version", "model": "m", "version": "v"}


def art_line(identifier: str, version: str | None = "v", **body: Any) -> dict[str, Any]:
    level = "version" if version is not None else "model"
    return {"kind": "artifact", "model": "m", "version": version,
            "artifact": artifact(identifier, level, **body)}  # fmt: skip


def refused_lines(summary: transfer.Summary, path: Path) -> dict[int, str]:
    """Refused items by line number (the source is `<path>:<line>`)."""
    found = {}
    for problem in summary.refused:
        name, _, number = problem.source.rpartition(":")
        assert name == str(path), problem.source
        found[int(number)] = problem.reason
    return found


def test_malformed_json_lines_are_refused_by_line_number_and_the_rest_loads(
    store_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "dump.jsonl"
    path.write_bytes(
        b"\n"  # 1: blank, ignored (but counted: line numbers are the file's)
        + line(MODEL)  # 2
        + line(VERSION)  # 3
        + b'{"kind": "artifact", "model": "m", "version": "v", "artifact": {\n'  # 4: cut short
        + line(art_line("a", n=1))  # 5
        + b"[1, 2, 3]\n"  # 6: not an object
        + b'"just text"\n'  # 7
        + b"null\n"  # 8
        + line({"kind": "artifact", "model": "m", "version": "v"})  # 9: no artifact
        + line(art_line("nul", text="a\x00b"))  # 10: NUL in the body
        + b"   \t \n"  # 11: blank
        + line(art_line("b", n=2))  # 12
        + b'{"kind": "model", "model": "m2"'  # 13: cut short, no final newline
    )
    with ArtifactRepository(store_url) as repo:
        summary = transfer.load(repo, path)
        refused = refused_lines(summary, path)
        assert sorted(refused) == [4, 6, 7, 8, 9, 10, 13]
        assert "NUL" in refused[10]
        assert (summary.models, summary.versions, summary.artifacts) == (1, 1, 2)
        assert repo.list_models() == ["m"]
        assert ids(repo.read_artifacts("m", "v")) == ["a", "b"]


def test_a_non_utf8_line_is_refused_by_line_number_and_the_rest_loads(
    store_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(
        line(MODEL)
        + line(VERSION)
        + line(art_line("a", n=1))
        + json.dumps(art_line("café", n=2), ensure_ascii=False).encode("latin-1") + b"\n"
        + line(art_line("b", n=3))
    )  # fmt: skip
    with ArtifactRepository(store_url) as repo:
        summary = transfer.load(repo, path)
        refused = refused_lines(summary, path)
        assert sorted(refused) == [4]
        assert "UTF-8" in refused[4]
        assert ids(repo.read_artifacts("m", "v")) == ["a", "b"]


def test_the_cli_exits_2_naming_the_bad_line(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(line(MODEL) + line(VERSION) + b"\xff\xfe not json\n" + line(art_line("a")))
    done = subprocess.run(
        [SCRIPT, "load", str(path), "--url", store_url, "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    summary = json.loads(done.stdout)
    assert summary["artifacts"] == 1
    assert [problem["source"] for problem in summary["refused"]] == [f"{path}:3"]
    with ArtifactRepository(store_url) as repo:
        assert ids(repo.read_artifacts("m", "v")) == ["a"]


def test_a_model_level_artifact_of_a_model_without_versions_is_kept(
    store_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "lonely.jsonl"
    path.write_bytes(
        line({"kind": "model", "model": "lonely"})
        + line({**art_line("card", None), "model": "lonely"})
        + line(MODEL)
        + line(VERSION)
        + line(art_line("card", None))
    )
    with ArtifactRepository(store_url) as repo:
        summary = transfer.load(repo, path)
        assert refused_lines(summary, path) == {}
        assert repo.list_models() == ["lonely", "m"]
        assert repo.list_versions("lonely") == []
        assert [(a.header.identifier, a.header.level.value)
                for a in repo.read_model_artifacts("lonely")] == [("card", "model")]  # fmt: skip
        assert [(a.header.identifier, a.header.level.value)
                for a in repo.read_artifacts("m", "v")] == [("card", "model")]  # fmt: skip


def write_file(path: Path, value: Any, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json.dumps(value, ensure_ascii=False, indent=2).encode(encoding))


def test_folder_import_edge_files(store_url: str, tmp_path: Path) -> None:
    """Non-UTF-8 and malformed files: each refused by path with nothing of it written;
    every good file imported, also a model-level one of a model without versions."""
    models = tmp_path / "models"
    write_file(models / "lonely" / "card.json", artifact("card", "model"))
    write_file(models / "m" / "card.json", artifact("card", "model"))
    write_file(models / "m" / "v" / "good.json", artifact("good", n=1))
    write_file(models / "m" / "v" / "café.json", artifact("café", n=2), encoding="latin-1")
    (models / "m" / "v" / "cut.json").write_text('{"header": {"identifier": "cut"', "utf-8")
    write_file(models / "m" / "v" / "nul.json", artifact("nul", text="a\x00b"))
    with ArtifactRepository(store_url) as repo:
        summary = transfer.import_folder(repo, tmp_path)
        reasons = {Path(p.source).relative_to(models).as_posix(): p.reason
                   for p in summary.refused}  # fmt: skip
        assert sorted(reasons) == ["m/v/café.json", "m/v/cut.json", "m/v/nul.json"]
        assert "UTF-8" in reasons["m/v/café.json"]
        assert "JSON" in reasons["m/v/cut.json"]
        assert "NUL" in reasons["m/v/nul.json"]
        assert repo.list_models() == ["lonely", "m"]
        assert [a.header.identifier for a in repo.read_model_artifacts("lonely")] == ["card"]
        assert [(a.header.identifier, a.header.level.value)
                for a in repo.read_artifacts("m", "v")] == [("card", "model"),
                                                            ("good", "version")]  # fmt: skip


def test_a_database_failure_mid_load_keeps_earlier_batches_and_a_rerun_completes(
    store_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "ten.jsonl"
    path.write_bytes(
        line(MODEL) + line(VERSION) + b"".join(line(art_line(f"a{i}", n=i)) for i in range(10))
    )
    with ArtifactRepository(store_url) as repo:
        inserts = {"seen": 0}

        def fail_second_batch(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO MLTE_ARTIFACT "):
                inserts["seen"] += 1
                if inserts["seen"] == 2:
                    raise repo.engine.dialect.loaded_dbapi.OperationalError("disk full")

        event.listen(repo.engine, "before_cursor_execute", fail_second_batch)
        try:
            with pytest.raises(ErrorDatabase, match="disk full"):
                transfer.load(repo, path, batch_size=3)
        finally:
            event.remove(repo.engine, "before_cursor_execute", fail_second_batch)
        assert inserts["seen"] == 2
        # The first batch of 3 was committed; the failing batch left nothing.
        assert ids(repo.read_artifacts("m", "v")) == ["a0", "a1", "a2"]
        again = transfer.load(repo, path, batch_size=3)
        assert (again.artifacts, again.skipped, again.refused) == (7, 3, [])
        assert ids(repo.read_artifacts("m", "v")) == [f"a{i}" for i in range(10)]
        assert [a.body["n"] for a in repo.read_artifacts("m", "v")] == list(range(10))
