"""Accounts through the real storage on both databases: passwords, logins, API keys, members."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.accounts.models import OrgRole, Principal
from server.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from tests.support.app_harness import PASSWORD, AppHarness

pytestmark = pytest.mark.anyio


async def test_passwords_are_argon2_hashed_and_logins_work(app: AppHarness) -> None:
    accounts = app.services.accounts
    user = await app.member("Ada@Example.com")
    assert user.email == "ada@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    principal, token = await accounts.login("ADA@example.com ", PASSWORD)
    assert principal.user.id == user.id
    assert (await accounts.principal_for_login(token)).user.id == user.id
    await accounts.logout(token)
    with pytest.raises(Unauthenticated):
        await accounts.principal_for_login(token)


async def test_wrong_password_and_unknown_email_look_the_same(app: AppHarness) -> None:
    accounts = app.services.accounts
    await app.member("ada@example.com")
    with pytest.raises(Unauthenticated) as wrong:
        await accounts.login("ada@example.com", "not the password")
    with pytest.raises(Unauthenticated) as unknown:
        await accounts.login("nobody@example.com", "not the password")
    assert wrong.value.message == unknown.value.message


async def test_duplicate_email_weak_password_and_bad_email(app: AppHarness) -> None:
    await app.member("ada@example.com")
    org = (await app.services.accounts.default_organization()).id
    with pytest.raises(Conflict):
        await app.member("ADA@example.com")
    with pytest.raises(InvalidInput):
        await app.services.accounts.create_user(
            org_id=org, email="b@example.com", password="short", role=OrgRole.ADMIN
        )
    with pytest.raises(InvalidInput):
        await app.services.accounts.create_user(
            org_id=org, email="not-an-email", password=PASSWORD, role=OrgRole.ADMIN
        )


async def test_api_keys_are_shown_once_stored_hashed_and_revocable(app: AppHarness) -> None:
    accounts = app.services.accounts
    user = await app.member("ada@example.com")
    key, token = await accounts.create_api_key(user, "ATS")
    assert token.startswith("duet_") and len(token) >= 40
    assert key.token_hash != token and token.startswith(key.prefix)
    assert (await accounts.principal_for_api_key(token)).user.id == user.id
    listed = await accounts.api_keys(user)
    assert [k.id for k in listed] == [key.id] and listed[0].last_used_at is not None
    other = await app.member("eve@example.com")
    with pytest.raises(NotFound):
        await accounts.revoke_api_key(other, key.id)  # not hers
    await accounts.revoke_api_key(user, key.id)
    with pytest.raises(Unauthenticated):
        await accounts.principal_for_api_key(token)
    with pytest.raises(NotFound):
        await accounts.revoke_api_key(user, key.id)


async def test_disabling_a_member_signs_them_out_and_blocks_keys(app: AppHarness) -> None:
    accounts = app.services.accounts
    admin = await app.member("admin@example.com")
    user = await app.member("ada@example.com", OrgRole.INTERVIEWER)
    _, login = await accounts.login("ada@example.com", PASSWORD)
    _, key = await accounts.create_api_key(user)
    await accounts.set_disabled(Principal(admin), user.id, True)
    with pytest.raises(Unauthenticated):
        await accounts.principal_for_login(login)
    with pytest.raises(Unauthenticated):
        await accounts.principal_for_api_key(key)
    with pytest.raises(Unauthenticated):
        await accounts.login("ada@example.com", PASSWORD)
    await accounts.set_disabled(Principal(admin), user.id, False)
    assert (await accounts.principal_for_api_key(key)).user.id == user.id


async def test_admins_cannot_lock_themselves_out(app: AppHarness) -> None:
    accounts = app.services.accounts
    admin = await app.member("admin@example.com")
    with pytest.raises(Forbidden):
        await accounts.change_role(Principal(admin), admin.id, OrgRole.REVIEWER)
    with pytest.raises(Forbidden):
        await accounts.set_disabled(Principal(admin), admin.id, True)


async def test_password_change_signs_out_everywhere(app: AppHarness) -> None:
    accounts = app.services.accounts
    user = await app.member("ada@example.com")
    _, login = await accounts.login("ada@example.com", PASSWORD)
    await accounts.set_password(user.id, "another long password")
    with pytest.raises(Unauthenticated):
        await accounts.principal_for_login(login)
    await accounts.login("ada@example.com", "another long password")


async def test_login_access_is_the_sign_in_and_its_active_member(app: AppHarness) -> None:
    """What a member's pad token is checked against (one query, shared by concurrent checks)."""
    accounts = app.services.accounts
    admin = await app.member("admin@example.com")
    user = await app.member("ada@example.com", OrgRole.INTERVIEWER)
    _, token = await accounts.login("ada@example.com", PASSWORD)
    login_id = (await accounts.principal_for_login(token)).login_id
    assert login_id is not None
    principal, expires_at = await accounts.login_access(login_id)
    assert (principal.user.id, principal.login_id) == (user.id, login_id)
    assert expires_at > datetime.now(UTC)
    with pytest.raises(Unauthenticated):
        await accounts.login_access("0" * 32)
    await accounts.set_disabled(Principal(admin), user.id, True)
    with pytest.raises(Unauthenticated):
        await accounts.login_access(login_id)
