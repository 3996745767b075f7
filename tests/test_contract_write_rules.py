"""Write rules across the two levels, the "Writing" rules of docs/python-api.md and docs/history.md.

An artifact's identifier is visible from a version through its own (version-level)
artifact and its model's model-level one. A write of an identifier already visible is
`ErrorAlreadyExists` unless `force=True`, which replaces every visible artifact of that
identifier; the replaced artifact of the other level gets a deletion marker in its own
history. Artifacts of other versions are never visible and never conflict. Expected
values are written from those rules, on both backends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial

import pytest

from mlte_store import (
    Artifact,
    ArtifactRepository,
    ErrorAlreadyExists,
    ErrorNotFound,
)

from .helpers import make_artifact

Level = str


def history(repo: ArtifactRepository, version: str, level: Level) -> list[tuple[int, bool]]:
    """(revision, deleted) of identifier 'a' in the history of one level, oldest first."""
    return [
        (r.revision, r.deleted) for r in repo.read_artifact_history("m", version, "a", level=level)
    ]


def visible(repo: ArtifactRepository, version: str) -> list[tuple[str, str, object]]:
    """(identifier, level, body note) of every artifact visible from `version`."""
    return [
        (a.header.identifier, a.header.level.value, a.body.get("note"))
        for a in repo.read_artifacts("m", version)
    ]


@pytest.fixture
def two_versions(repo: ArtifactRepository) -> ArtifactRepository:
    repo.create_model("m")
    repo.create_version("m", "v")
    repo.create_version("m", "w")
    return repo


def test_model_level_write_over_the_versions_own_artifact_is_refused_without_force(
    two_versions: ArtifactRepository,
) -> None:
    repo = two_versions
    repo.write_artifact("m", "v", make_artifact("a", note="own"))
    with pytest.raises(ErrorAlreadyExists, match="'a'"):
        repo.write_artifact("m", "v", make_artifact("a", level="model", note="model"))
    assert visible(repo, "v") == [("a", "version", "own")]
    assert visible(repo, "w") == []
    assert history(repo, "v", "version") == [(1, False)]
    with pytest.raises(ErrorNotFound):
        repo.read_artifact_history("m", "v", "a", level="model")


def test_model_level_write_with_force_replaces_the_versions_own_artifact(
    two_versions: ArtifactRepository,
) -> None:
    repo = two_versions
    repo.write_artifact("m", "v", make_artifact("a", note="own"))
    repo.write_artifact("m", "w", make_artifact("a", note="w's own"))
    repo.write_artifact("m", "v", make_artifact("a", level="model", note="model"), force=True)
    # v's own artifact is gone; the model-level one is what v sees.
    assert visible(repo, "v") == [("a", "model", "model")]
    assert repo.read_artifact("m", "v", "a").header.level.value == "model"
    # w's own artifact was never visible from v: untouched, and w sees it before the model's.
    assert visible(repo, "w") == [("a", "version", "w's own"), ("a", "model", "model")]
    assert repo.read_artifact("m", "w", "a").body["note"] == "w's own"
    # The replaced version-level artifact's history ends with a deletion marker.
    assert history(repo, "v", "version") == [(1, False), (2, True)]
    assert history(repo, "v", "model") == [(1, False)]
    assert history(repo, "w", "version") == [(1, False)]


def test_version_level_write_over_a_model_level_artifact_is_refused_without_force(
    two_versions: ArtifactRepository,
) -> None:
    repo = two_versions
    repo.write_artifact("m", "w", make_artifact("a", level="model", note="model"))
    with pytest.raises(ErrorAlreadyExists, match="'a'"):
        repo.write_artifact("m", "v", make_artifact("a", note="own"))
    assert visible(repo, "v") == [("a", "model", "model")]
    assert history(repo, "v", "model") == [(1, False)]
    with pytest.raises(ErrorNotFound):
        repo.read_artifact_history("m", "v", "a", level="version")


def test_version_level_write_with_force_replaces_the_model_level_artifact(
    two_versions: ArtifactRepository,
) -> None:
    repo = two_versions
    repo.write_artifact("m", "w", make_artifact("a", level="model", note="model"))
    repo.write_artifact("m", "v", make_artifact("a", note="own"), force=True)
    assert visible(repo, "v") == [("a", "version", "own")]
    # The model-level artifact was replaced for the whole model: w no longer sees it.
    assert visible(repo, "w") == []
    with pytest.raises(ErrorNotFound):
        repo.read_artifact("m", "w", "a")
    assert history(repo, "v", "model") == [(1, False), (2, True)]
    assert history(repo, "v", "version") == [(1, False)]


def test_force_over_both_levels_replaces_both_and_marks_the_other_level(
    two_versions: ArtifactRepository,
) -> None:
    """v sees its own 'a' and the model-level 'a'; a forced write replaces both."""
    repo = two_versions
    repo.write_artifact("m", "v", make_artifact("a", note="v 1"))
    repo.write_artifact("m", "w", make_artifact("a", level="model", note="model 1"))
    assert visible(repo, "v") == [("a", "version", "v 1"), ("a", "model", "model 1")]
    repo.write_artifact("m", "v", make_artifact("a", level="model", note="model 2"), force=True)
    assert visible(repo, "v") == [("a", "model", "model 2")]
    assert visible(repo, "w") == [("a", "model", "model 2")]
    # The model-level artifact was overwritten at its own level: a new revision, no marker;
    # v's own was replaced from the other level: a deletion marker.
    assert history(repo, "v", "model") == [(1, False), (2, False)]
    assert history(repo, "v", "version") == [(1, False), (2, True)]
    # And back: a version-level force write replaces the model-level artifact.
    repo.write_artifact("m", "v", make_artifact("a", note="v 3"), force=True)
    assert visible(repo, "v") == [("a", "version", "v 3")]
    assert visible(repo, "w") == []
    assert history(repo, "v", "model") == [(1, False), (2, False), (3, True)]
    assert history(repo, "v", "version") == [(1, False), (2, True), (3, False)]


def test_deletion_markers_go_to_the_history_of_the_deleted_level(
    two_versions: ArtifactRepository,
) -> None:
    repo = two_versions
    repo.write_artifact("m", "w", make_artifact("a", level="model", note="model"))
    repo.write_artifact("m", "w", make_artifact("a", note="w's own"), force=True)
    repo.write_artifact("m", "v", make_artifact("a", level="model", note="model 2"))
    repo.write_artifact("m", "w", make_artifact("b", note="w's b"))
    # From w: its own 'a' shadows nothing (the model-level 'a' was written after w's force),
    # so w sees both; delete removes what read_artifact returns: w's own first.
    assert visible(repo, "w") == [("a", "version", "w's own"), ("a", "model", "model 2"),
                                  ("b", "version", "w's b")]  # fmt: skip
    assert repo.delete_artifact("m", "w", "a").header.level.value == "version"
    assert history(repo, "w", "version") == [(1, False), (2, True)]
    assert history(repo, "w", "model") == [(1, False), (2, True), (3, False)]
    # Now the model-level one; its deletion marker goes to the model's history.
    assert repo.delete_artifact("m", "w", "a").header.level.value == "model"
    assert history(repo, "w", "model") == [(1, False), (2, True), (3, False), (4, True)]
    assert history(repo, "w", "version") == [(1, False), (2, True)]
    assert visible(repo, "v") == [] and visible(repo, "w") == [("b", "version", "w's b")]
    with pytest.raises(ErrorNotFound):
        repo.delete_artifact("m", "w", "a")


def race(calls: list[Callable[[], Artifact]]) -> list[BaseException | None]:
    """Start the calls together on threads; the outcome of each (None = success)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[BaseException | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            calls[index]()
        except BaseException as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


ROUNDS = 12


def race_the_levels(
    store_url: str, force: bool
) -> Iterator[tuple[ArtifactRepository, str, list[BaseException | None], list[tuple[str, str]]]]:
    """Each round, a model-level and a version-level writer of one new identifier race
    from version v (two repositories); yields the repository, the identifier, the two
    outcomes (model-level first) and the (level, note) of what v then sees of it."""
    with ArtifactRepository(store_url) as one, ArtifactRepository(store_url) as other:
        one.create_model("m")
        one.create_version("m", "v")
        for n in range(ROUNDS):
            name = f"a{n}"
            model_level = make_artifact(name, level="model", note="model")
            version_level = make_artifact(name, note="version")
            outcomes = race(
                [
                    partial(one.write_artifact, "m", "v", model_level, force=force),
                    partial(other.write_artifact, "m", "v", version_level, force=force),
                ]
            )
            seen = [(a.header.level.value, a.body["note"]) for a in one.read_artifacts("m", "v")
                    if a.header.identifier == name]  # fmt: skip
            yield one, name, outcomes, seen


def other_level(level: str) -> str:
    return "version" if level == "model" else "model"


def test_racing_writers_at_the_two_levels_without_force_exactly_one_wins(store_url: str) -> None:
    for repo, name, outcomes, seen in race_the_levels(store_url, force=False):
        failed = [o for o in outcomes if o is not None]
        assert len(failed) == 1, outcomes
        assert isinstance(failed[0], ErrorAlreadyExists), repr(failed[0])
        winner = "model" if outcomes[0] is None else "version"
        assert seen == [(winner, winner)]
        with pytest.raises(ErrorNotFound):
            repo.read_artifact_history("m", "v", name, level=other_level(winner))


def test_racing_forced_writers_at_the_two_levels_leave_one_artifact_and_a_marker(
    store_url: str,
) -> None:
    for repo, name, outcomes, seen in race_the_levels(store_url, force=True):
        assert outcomes == [None, None]
        assert len(seen) == 1 and seen[0][0] == seen[0][1], seen
        current = seen[0][0]
        # Both writes succeeded: the first one's artifact was replaced by the second,
        # so its level's history ends with a deletion marker; the other's does not.
        kept = repo.read_artifact_history("m", "v", name, level=current)
        gone = repo.read_artifact_history("m", "v", name, level=other_level(current))
        assert [(r.revision, r.deleted) for r in kept] == [(1, False)]
        assert [(r.revision, r.deleted) for r in gone] == [(1, False), (2, True)]
