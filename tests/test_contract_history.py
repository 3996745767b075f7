"""History and recovery, from docs/history.md, on both backends.

Expected values follow the documented rules: revisions are numbered from 1 per identifier
within its owner; `purge_history` deletes the revisions in its scope (all, a model's, a
version's, optionally only those recorded before a moment) except each existing
artifact's current revision, and returns how many it deleted; `verify()` reports every
body that no longer matches its digest; the digest is SHA-256 of the canonical JSON;
deleting a model or version deletes its history; `history=False` records nothing and
leaves recorded history readable.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, Table, func, select, update

from mlte_store import (
    ArtifactRepository,
    DigestMismatch,
    ErrorInvalidInput,
    ErrorNotFound,
    body_digest,
)
from mlte_store.engine import create_engine

from .helpers import make_artifact


def table(engine: Engine, name: str) -> Table:
    """A table of the documented schema, reflected from the database."""
    return Table(name, MetaData(), autoload_with=engine)


def revision_rows(engine: Engine) -> int:
    revisions = table(engine, "mlte_artifact_revision")
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(revisions)).scalar_one())


def numbers(repo: ArtifactRepository, model: str, version: str, artifact: str,
            level: str | None = None) -> list[int]:  # fmt: skip
    return [r.revision for r in repo.read_artifact_history(model, version, artifact, level=level)]


# -- purge scope ----------------------------------------------------------------------

MODELS, VERSIONS = ("m1", "m2"), ("v1", "v2")


def fill_three_revisions_each(repo: ArtifactRepository) -> None:
    """In each model: a model-level 'card' and, in each version, a version-level 'ev';
    each written three times (revisions 1, 2, 3; the 3rd is current)."""
    for model in MODELS:
        for version in VERSIONS:
            for n in (1, 2, 3):
                repo.write_artifact(model, version, make_artifact("ev", n=n), parents=True,
                                    force=n > 1)  # fmt: skip
        for n in (1, 2, 3):
            repo.write_artifact(model, "v1", make_artifact("card", "card", level="model", n=n),
                                force=n > 1)  # fmt: skip


def all_histories(repo: ArtifactRepository) -> dict[tuple[str, str, str], list[int]]:
    found = {}
    for model in MODELS:
        found[(model, "-", "card")] = numbers(repo, model, "v1", "card", "model")
        for version in VERSIONS:
            found[(model, version, "ev")] = numbers(repo, model, version, "ev", "version")
    return found


FULL = [1, 2, 3]


def test_purge_of_one_version_touches_only_that_version(repo: ArtifactRepository) -> None:
    fill_three_revisions_each(repo)
    assert repo.purge_history("m1", "v2") == 2
    expected = {key: FULL for key in all_histories(repo)}
    expected[("m1", "v2", "ev")] = [3]
    assert all_histories(repo) == expected


def test_purge_of_one_model_touches_only_that_model(repo: ArtifactRepository) -> None:
    fill_three_revisions_each(repo)
    assert repo.purge_history("m2") == 6  # card, v1/ev, v2/ev: two each
    expected = {key: (FULL if key[0] == "m1" else [3]) for key in all_histories(repo)}
    assert all_histories(repo) == expected


def test_purge_of_everything_keeps_each_current_revision(repo: ArtifactRepository) -> None:
    fill_three_revisions_each(repo)
    assert repo.purge_history() == 12
    assert all_histories(repo) == {key: [3] for key in all_histories(repo)}
    assert repo.purge_history() == 0
    # The kept revision is the current content, and numbering goes on after it.
    assert repo.read_artifact("m1", "v1", "ev", revision=3).body["n"] == 3
    repo.write_artifact("m1", "v1", make_artifact("ev", n=4), force=True)
    assert numbers(repo, "m1", "v1", "ev") == [3, 4]


def test_purge_older_than_the_past_deletes_nothing_and_naive_means_utc(
    repo: ArtifactRepository,
) -> None:
    fill_three_revisions_each(repo)
    assert repo.purge_history(older_than=datetime(2000, 1, 1)) == 0
    assert repo.purge_history("m1", older_than=datetime(2000, 1, 1, tzinfo=timezone.utc)) == 0
    # A naive moment is UTC: a day ahead of now in UTC is after every revision.
    tomorrow = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=1)
    assert repo.purge_history("m1", older_than=tomorrow) == 6
    assert repo.purge_history(older_than=tomorrow) == 6


def test_purge_older_than_a_revision_keeps_that_revision(repo: ArtifactRepository) -> None:
    for n in (1, 2, 3, 4):
        repo.write_artifact("m", "v", make_artifact("a", n=n), parents=True, force=n > 1)
    revisions = repo.read_artifact_history("m", "v", "a")
    cutoff = revisions[2].recorded_at  # revisions recorded strictly before revision 3
    earlier = sum(1 for r in revisions if r.recorded_at < cutoff)
    assert repo.purge_history(older_than=cutoff) == earlier
    assert numbers(repo, "m", "v", "a") == [r.revision for r in revisions
                                            if r.recorded_at >= cutoff]  # fmt: skip
    assert numbers(repo, "m", "v", "a")[-2:] == [3, 4]


def test_purge_deletes_the_whole_history_of_deleted_artifacts(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("gone", n=1), parents=True)
    repo.write_artifact("m", "v", make_artifact("kept", n=1))
    repo.delete_artifact("m", "v", "gone")
    assert repo.purge_history("m", "v") == 2  # gone's revision and its deletion marker
    with pytest.raises(ErrorNotFound):
        repo.read_artifact_history("m", "v", "gone")
    assert numbers(repo, "m", "v", "kept") == [1]


def test_purge_after_mixed_history_on_and_off_keeps_each_current_recorded_revision(
    store_url: str,
) -> None:
    with ArtifactRepository(store_url) as on, ArtifactRepository(store_url, history=False) as off:
        on.write_artifact("m", "v", make_artifact("a", n=1), parents=True)
        off.write_artifact("m", "v", make_artifact("a", n=2), force=True)
        on.write_artifact("m", "v", make_artifact("a", n=3), force=True)
        off.write_artifact("m", "v", make_artifact("c", n=1))
        on.write_artifact("m", "v", make_artifact("c", n=2), force=True)
        on.write_artifact("m", "v", make_artifact("d", level="model", n=1))
        off.write_artifact("m", "v", make_artifact("d", level="model", n=2), force=True)
        on.write_artifact("m", "v", make_artifact("d", level="model", n=3), force=True)
        on.write_artifact("m", "v", make_artifact("d", level="model", n=4), force=True)
        # Recorded: a 1, 2 (n=1, n=3); c 1 (n=2); d 1, 2, 3 (n=1, n=3, n=4).
        assert [r.body["n"] for r in on.read_artifact_history("m", "v", "a") if r.body] == [1, 3]
        assert on.purge_history() == 1 + 0 + 2
        for name, n in (("a", 3), ("c", 2), ("d", 4)):
            kept = on.read_artifact_history("m", "v", name)
            assert len(kept) == 1, name
            assert kept[0].body == {"artifact_type": "evidence", "n": n}
            assert on.read_artifact("m", "v", name, revision=kept[0].revision).body["n"] == n
            assert on.read_artifact("m", "v", name).body["n"] == n
        assert on.verify() == []


def test_purge_keeps_the_owners_own_current_revision_not_another_owners(
    repo: ArtifactRepository,
) -> None:
    """'a' is at revision 1 in v and at revision 2 in w: w's revision 1 is not current."""
    repo.write_artifact("m", "v", make_artifact("a", n=1), parents=True)
    repo.write_artifact("m", "w", make_artifact("a", n=1), parents=True)
    repo.write_artifact("m", "w", make_artifact("a", n=2), force=True)
    repo.write_artifact("m", "w", make_artifact("card", "card", level="model", n=1))
    repo.write_artifact("m", "w", make_artifact("card", "card", level="model", n=2), force=True)
    assert repo.purge_history("m", "w") == 1
    assert numbers(repo, "m", "w", "a") == [2]
    assert numbers(repo, "m", "v", "a") == [1]
    assert repo.purge_history("m") == 1  # the model-level card's revision 1
    assert numbers(repo, "m", "w", "card") == [2]
    assert numbers(repo, "m", "v", "a") == [1]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
def test_older_than_is_an_instant_whatever_the_zones(
    store_url: str, backend: str, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    """An aware `older_than` is compared as an instant, a naive one as UTC, whatever the
    zone of the moment, of the process (TZ) or of the database session (PostgreSQL)."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    options = {"connect_args": {"options": f"-c timezone={zone}"}}
    engine = create_engine(store_url, **(options if backend == "postgresql" else {}))
    repo = ArtifactRepository(engine)
    try:
        for n in (1, 2, 3):
            repo.write_artifact("m", "v", make_artifact("a", n=n), parents=True, force=n > 1)
        revisions = repo.read_artifact_history("m", "v", "a")
        cutoff = revisions[2].recorded_at
        earlier = sum(1 for r in revisions if r.recorded_at < cutoff)
        # The same instant in a zone 14 hours ahead and one 9:30 behind: same cutoff.
        ahead = cutoff.astimezone(timezone(timedelta(hours=14)))
        behind = cutoff.astimezone(timezone(-timedelta(hours=9, minutes=30)))
        naive_utc = cutoff.astimezone(timezone.utc).replace(tzinfo=None)
        assert repo.purge_history(older_than=behind - timedelta(hours=1)) == 0
        assert repo.purge_history(older_than=ahead) == earlier
        assert repo.purge_history(older_than=naive_utc) == 0  # already purged
        assert numbers(repo, "m", "v", "a")[-1] == 3
        repo.write_artifact("m", "v", make_artifact("a", n=4), force=True)
        latest = repo.read_artifact_history("m", "v", "a")[-1].recorded_at
        # A naive moment a minute after the latest revision is UTC, not local time.
        after = latest.astimezone(timezone.utc).replace(tzinfo=None) + timedelta(minutes=1)
        assert numbers(repo, "m", "v", "a") == [3, 4]
        assert repo.purge_history(older_than=after) == 1
    finally:
        engine.dispose()
        monkeypatch.undo()
        time.tzset()


def test_older_than_must_be_a_datetime(repo: ArtifactRepository) -> None:
    for bad in ("2024-01-01", 1_700_000_000, datetime(2024, 1, 1).date()):
        with pytest.raises(ErrorInvalidInput, match="older_than must be a datetime"):
            repo.purge_history(older_than=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "x" * 256, "a\x00", "\udc80", 7, b"m"])
def test_purge_refuses_bad_identifiers_and_purges_nothing(
    repo: ArtifactRepository, bad: object
) -> None:
    """None means "every model" / "every version"; anything else must be an identifier."""
    fill_three_revisions_each(repo)
    with pytest.raises(ErrorInvalidInput, match="model"):
        repo.purge_history(bad)  # type: ignore[arg-type]
    with pytest.raises(ErrorInvalidInput, match="version"):
        repo.purge_history("m1", bad)  # type: ignore[arg-type]
    with pytest.raises(ErrorInvalidInput, match="model"):
        repo.purge_history(None, "v1")
    assert all_histories(repo) == {key: FULL for key in all_histories(repo)}


# -- verify -------------------------------------------------------------------------

ROWS = 3000


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_verify_finds_one_tampered_row_among_thousands(
    repo: ArtifactRepository, where: str
) -> None:
    names = [f"a{i:05d}" for i in range(ROWS)]
    assert repo.write_artifacts("m", "v", [make_artifact(n, i=i) for i, n in enumerate(names)],
                                parents=True) == ROWS  # fmt: skip
    assert repo.verify() == []
    position = {"first": 0, "middle": ROWS // 2, "last": ROWS - 1}[where]
    victim = names[position]
    artifacts = table(repo.engine, "mlte_artifact")
    with repo.engine.begin() as connection:
        changed = connection.execute(
            update(artifacts)
            .where(artifacts.c.identifier == victim)
            .values(body={"artifact_type": "evidence", "i": -1})
        )
        assert changed.rowcount == 1
    found = repo.verify()
    assert [(f.model_id, f.version_id, f.artifact_id, f.revision) for f in found] == [
        ("m", "v", victim, None)
    ]
    assert found[0].stored_digest == body_digest({"artifact_type": "evidence", "i": position})
    assert found[0].computed_digest == body_digest({"artifact_type": "evidence", "i": -1})


def test_verify_finds_a_tampered_revision_and_a_model_level_row(
    repo: ArtifactRepository,
) -> None:
    names = [f"a{i:05d}" for i in range(ROWS)]
    repo.write_artifacts("m", "v", [make_artifact(n, i=i) for i, n in enumerate(names)],
                         parents=True)  # fmt: skip
    repo.write_artifact("m", "v", make_artifact("card", "card", level="model", i=0))
    revisions = table(repo.engine, "mlte_artifact_revision")
    artifacts = table(repo.engine, "mlte_artifact")
    with repo.engine.begin() as connection:
        connection.execute(
            update(revisions).where(revisions.c.identifier == names[1234])
            .values(body={"artifact_type": "evidence", "i": "x"})
        )  # fmt: skip
        connection.execute(
            update(artifacts).where(artifacts.c.identifier == "card")
            .values(body={"artifact_type": "card", "i": 1})
        )  # fmt: skip
    found = sorted(
        ((f.model_id, f.version_id, f.artifact_id, f.revision) for f in repo.verify()),
        key=repr,
    )
    assert found == sorted([("m", "v", names[1234], 1), ("m", None, "card", None)], key=repr)


# -- the digest -----------------------------------------------------------------------

#: The formula of docs/history.md applied by hand: keys sorted, no spaces, UTF-8 unescaped, and a
#: float of integral value (1e20) written as the integer its decimal text denotes.
CANONICAL = (
    '{"a":100000000000000000000,"artifact_type":"evidence","b":[1,2.5,"ü",{"x":null,"y":true}]}'
)
DIGEST = "a4658d13828189b8226e19f58c362424ec99769625a72448358f2cac55980de7"
BODY: dict[str, Any] = {"b": [1, 2.5, "ü", {"y": True, "x": None}], "artifact_type": "evidence",
                        "a": 1e20}  # fmt: skip


def test_the_digest_is_the_sha256_of_the_documented_canonical_json(
    repo: ArtifactRepository,
) -> None:
    assert hashlib.sha256(CANONICAL.encode("utf-8")).hexdigest() == DIGEST
    assert body_digest(BODY) == DIGEST
    assert body_digest({**BODY, "a": 10**20}) == DIGEST  # the same JSON number
    repo.write_artifact("m", "v", make_artifact("a", **{k: v for k, v in BODY.items()
                                                       if k != "artifact_type"}),
                        parents=True)  # fmt: skip
    (revision,) = repo.read_artifact_history("m", "v", "a")
    assert revision.digest == DIGEST
    assert repo.verify() == []


def test_a_digest_mismatch_names_what_it_found() -> None:
    mismatch = DigestMismatch(model_id="m", version_id=None, artifact_id="a", revision=None,
                              stored_digest=DIGEST, computed_digest=DIGEST)  # fmt: skip
    assert mismatch.version_id is None and mismatch.artifact_id == "a"


# -- deleting models and versions deletes their history -------------------------------


def test_deleting_a_version_deletes_its_history_and_numbering_restarts(
    repo: ArtifactRepository,
) -> None:
    for n in (1, 2):
        repo.write_artifact("m", "v", make_artifact("a", n=n), parents=True, force=n > 1)
        repo.write_artifact("m", "w", make_artifact("a", n=n), parents=True, force=n > 1)
    repo.write_artifact("m", "v", make_artifact("card", "card", level="model"))
    repo.delete_artifact("m", "v", "a")
    assert revision_rows(repo.engine) == 3 + 2 + 1
    repo.delete_version("m", "v")
    assert revision_rows(repo.engine) == 2 + 1  # w's history and the model's are kept
    assert numbers(repo, "m", "w", "a") == [1, 2]
    assert numbers(repo, "m", "w", "card") == [1]
    repo.create_version("m", "v")
    with pytest.raises(ErrorNotFound):
        repo.read_artifact_history("m", "v", "a")
    repo.write_artifact("m", "v", make_artifact("a", n=9))
    assert numbers(repo, "m", "v", "a") == [1]


def test_deleting_a_model_deletes_all_its_history(repo: ArtifactRepository) -> None:
    for model in ("m", "keep"):
        repo.write_artifact(model, "v", make_artifact("a"), parents=True)
        repo.write_artifact(model, "v", make_artifact("card", "card", level="model"))
        repo.write_artifact(model, "v", make_artifact("card", "card", level="model", n=2),
                            force=True)  # fmt: skip
    assert revision_rows(repo.engine) == 6
    repo.delete_model("m")
    assert revision_rows(repo.engine) == 3
    repo.write_artifact("m", "v", make_artifact("card", "card", level="model", n=3), parents=True)
    assert numbers(repo, "m", "v", "card") == [1]
    assert numbers(repo, "keep", "v", "card") == [1, 2]


# -- history=False --------------------------------------------------------------------


def test_history_off_on_a_store_with_history_leaves_it_readable(store_url: str) -> None:
    with ArtifactRepository(store_url) as on:
        on.write_artifact("m", "v", make_artifact("a", n=1), parents=True)
        on.write_artifact("m", "v", make_artifact("a", n=2), force=True)
    before = revision_rows_of(store_url)
    with ArtifactRepository(store_url, history=False) as off:
        assert numbers(off, "m", "v", "a") == [1, 2]
        assert off.read_artifact("m", "v", "a", revision=1).body["n"] == 1
        off.write_artifact("m", "v", make_artifact("a", n=3), force=True)
        off.write_artifacts("m", "v", [make_artifact("b")])
        assert off.read_artifact("m", "v", "a").body["n"] == 3
        assert off.delete_artifact("m", "v", "a").body["n"] == 3
        assert revision_rows_of(store_url) == before  # nothing recorded
        assert [(r.revision, r.deleted, (r.body or {}).get("n"))
                for r in off.read_artifact_history("m", "v", "a")] == [
            (1, False, 1), (2, False, 2)]  # fmt: skip
        assert off.read_artifact("m", "v", "a", revision=2).body["n"] == 2
        assert off.read_artifact("m", "v", "b").header.identifier == "b"


def revision_rows_of(url: str) -> int:
    with ArtifactRepository(url) as repo:
        return revision_rows(repo.engine)
