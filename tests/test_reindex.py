"""The Unicode version of the search documents: recorded per artifact, a mismatch warned
about once, and `reindex` folding stale documents again so SQL and Python agree."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from mlte_store import ArtifactRepository, PropertyFilter, Query, casefold
from mlte_store.cli import app
from mlte_store.errors import UnicodeVersionWarning
from mlte_store.repository_history import forget_warnings

from .helpers import make_artifact

runner = CliRunner()

OLD = "1.1.0"


def _old_fold(text: str) -> str:
    """Folding as an older Unicode would: no full folding of ß (it stays ß)."""
    return text.replace("ß", "\0").casefold().replace("\0", "ß")


@pytest.fixture
def older_unicode(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Write as a Python with older Unicode tables would (the documents and their version)."""
    forget_warnings()
    monkeypatch.setattr(casefold, "fold", _old_fold)
    monkeypatch.setattr(casefold, "UNICODE_VERSION", OLD)
    yield
    monkeypatch.undo()
    forget_warnings()


STREET = Query(filter=PropertyFilter(name="body.street", property="STRASSE"))


def _write_old(store_url: str, count: int) -> None:
    with ArtifactRepository(store_url) as repo:
        for i in range(count):
            repo.write_artifact(
                "m", "v", make_artifact(f"a{i}", street=f"Hauptstraße {i}"), parents=True
            )


def test_a_store_folded_with_another_unicode_warns_once_and_reindex_restores_matching(
    store_url: str, older_unicode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_old(store_url, 5)
    monkeypatch.undo()  # from here on: this Python's own Unicode
    with pytest.warns(UnicodeVersionWarning, match=f"folded with Unicode {OLD}"):
        repo = ArtifactRepository(store_url)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ArtifactRepository(store_url).close()  # once per database and process
    with repo:
        visible = repo.read_artifacts("m", "v")
        python = [a.header.identifier for a in visible if STREET.match(a)]
        assert python == [f"a{i}" for i in range(5)]
        assert repo.search_artifacts("m", "v", STREET) == []  # SQL disagrees: stale documents
        assert repo.reindex(batch_size=2, limit=3) == 3  # interrupted: resumable
        assert len(repo.search_artifacts("m", "v", STREET)) == 3
        assert repo.reindex(batch_size=2) == 2
        assert [a.header.identifier for a in repo.search_artifacts("m", "v", STREET)] == python
        assert repo.reindex() == 0  # idempotent
        assert repo.verify() == []
        assert [r.revision for r in repo.read_artifact_history("m", "v", "a0")] == [1]
    forget_warnings()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ArtifactRepository(store_url).close()  # no warning any more


def test_reindex_leaves_a_row_written_meanwhile_to_its_writer(
    store_url: str, older_unicode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_old(store_url, 1)
    monkeypatch.undo()
    with pytest.warns(UnicodeVersionWarning), ArtifactRepository(store_url) as repo:
        # A writer replaces the artifact (new revision, folded with this Python's tables).
        repo.write_artifact("m", "v", make_artifact("a0", street="Ringstraße"), force=True)
        assert repo.reindex() == 0
        assert len(repo.search_artifacts("m", "v", STREET)) == 1


def test_the_command_line_reindexes(
    store_url: str, older_unicode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_old(store_url, 3)
    monkeypatch.undo()
    forget_warnings()
    with pytest.warns(UnicodeVersionWarning):
        result = runner.invoke(app, ["reindex", "--batch-size", "2", "--url", store_url])
    assert result.exit_code == 0, result.output
    assert "3 search documents folded again" in result.output
    with ArtifactRepository(store_url) as repo:
        assert len(repo.search_artifacts("m", "v", STREET)) == 3
