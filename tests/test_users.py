"""UserStore: users, grants and the signing key of the HTTP server, on every backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from mlte_store import (
    ArtifactRepository,
    ErrorAlreadyExists,
    ErrorInvalidInput,
    ErrorNotFound,
    Permission,
    Role,
    UserStore,
)
from mlte_store.tables import grant_table, user_table

from .helpers import count_rows

PASSWORD = "correct horse battery"


@pytest.fixture
def users(repo: ArtifactRepository) -> Iterator[UserStore]:
    with UserStore(repo.engine) as store:
        yield store


def test_a_user_is_stored_with_an_argon2_hash_never_the_password(
    users: UserStore, repo: ArtifactRepository
) -> None:
    ana = users.add("ana", PASSWORD)
    assert (ana.name, ana.role, ana.disabled, ana.token_generation) == ("ana", Role.USER, False, 0)
    assert "password" not in ana.model_dump() and "hash" not in str(ana.model_dump())
    with repo.engine.connect() as connection:
        stored = connection.execute(select(user_table.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert [u.name for u in users.list_users()] == ["ana"]


def test_authenticate_accepts_only_the_right_password(users: UserStore) -> None:
    users.add("ana", PASSWORD, role="admin")
    found = users.authenticate("ana", PASSWORD)
    assert found is not None and found.role is Role.ADMIN
    assert users.authenticate("ana", PASSWORD + "x") is None
    assert users.authenticate("nobody", PASSWORD) is None
    assert users.authenticate("bad name!", PASSWORD) is None


def test_a_taken_name_is_already_exists_and_bad_input_is_refused(users: UserStore) -> None:
    users.add("ana", PASSWORD)
    with pytest.raises(ErrorAlreadyExists, match="'ana'"):
        users.add("ana", PASSWORD)
    for name in ("", "a b", "ana:x", "x" * 65, "-ana"):
        with pytest.raises(ErrorInvalidInput, match="user name"):
            users.add(name, PASSWORD)
    with pytest.raises(ErrorInvalidInput, match="8 to"):
        users.add("bob", "short")
    with pytest.raises(ErrorInvalidInput, match="role"):
        users.add("bob", PASSWORD, role="root")
    assert [u.name for u in users.list_users()] == ["ana"]


def test_passwd_and_disable_start_a_new_token_generation(users: UserStore) -> None:
    users.add("ana", PASSWORD)
    changed = users.passwd("ana", "another password")
    assert changed.token_generation == 1
    assert users.authenticate("ana", PASSWORD) is None
    assert users.authenticate("ana", "another password") is not None
    disabled = users.disable("ana")
    assert disabled.disabled and disabled.token_generation == 2
    found = users.get("ana")
    assert found is not None and found.disabled
    with pytest.raises(ErrorNotFound, match="user 'bob' not found"):
        users.passwd("bob", PASSWORD)
    with pytest.raises(ErrorNotFound):
        users.disable("bob")


def test_grants_open_and_revoke_closes_access(users: UserStore, repo: ArtifactRepository) -> None:
    repo.create_model("m")
    repo.create_model("n")
    ana = users.add("ana", PASSWORD)
    assert users.access(ana, "m") == (True, None)
    assert users.access(ana, "missing") == (False, None)
    users.grant("ana", "m", "read")
    assert users.access(ana, "m") == (True, Permission.READ)
    users.grant("ana", "m", Permission.WRITE)
    assert users.access(ana, "m") == (True, Permission.WRITE)
    assert users.readable_models(ana) == ["m"]
    assert users.grants() == [("ana", "m", Permission.WRITE)]
    users.revoke("ana", "m")
    assert users.access(ana, "m") == (True, None)
    with pytest.raises(ErrorNotFound, match="grant"):
        users.revoke("ana", "m")
    with pytest.raises(ErrorNotFound, match="model 'missing' not found"):
        users.grant("ana", "missing", "read")
    with pytest.raises(ErrorInvalidInput, match="permission"):
        users.grant("ana", "m", "admin")
    admin = users.add("root", PASSWORD, role=Role.ADMIN)
    assert users.access(admin, "n") == (True, Permission.WRITE)
    assert users.readable_models(admin) is None


def test_deleting_a_model_or_a_user_deletes_their_grants(
    users: UserStore, repo: ArtifactRepository
) -> None:
    repo.create_model("m")
    repo.create_model("n")
    users.add("ana", PASSWORD)
    users.add("bob", PASSWORD)
    users.grant("ana", "m", "write")
    users.grant("bob", "n", "read")
    repo.delete_model("m")
    assert users.grants() == [("bob", "n", Permission.READ)]
    assert users.remove("bob").name == "bob"
    assert count_rows(repo, grant_table) == 0
    repo.create_model("m")  # a new model of the same name starts without grants
    assert users.access(users.get("ana"), "m") == (True, None)  # type: ignore[arg-type]
    with pytest.raises(ErrorNotFound):
        users.remove("bob")


def test_the_signing_key_is_generated_once_and_shared(
    users: UserStore, repo: ArtifactRepository
) -> None:
    key = users.signing_key()
    assert len(key) >= 64
    with UserStore(repo.engine.url) as other:
        assert other.signing_key() == key
