"""The ASGI app with its lifespan running, an HTTP client on it, and its services (the ``app``
fixture of tests/conftest.py yields one)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from server.accounts.models import OrgRole, User
from server.web.services import Services

PASSWORD = "correct horse battery staple"


@dataclass
class AppHarness:
    """The ASGI app with its lifespan running, an HTTP client on it, and its services."""

    client: httpx.AsyncClient
    services: Services

    async def member(self, email: str, role: OrgRole = OrgRole.ADMIN, org_id: str | None = None) -> User:
        org = org_id or (await self.services.accounts.default_organization()).id
        return await self.services.accounts.create_user(
            org_id=org, email=email, password=PASSWORD, role=role, display_name=email.split("@")[0].title()
        )

    async def api_key(self, user: User) -> dict[str, str]:
        _, token = await self.services.accounts.create_api_key(user, "tests")
        return {"Authorization": f"Bearer {token}"}
