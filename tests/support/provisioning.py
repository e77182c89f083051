"""Sessions and participant tokens made through the real services, as a test's starting point."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.accounts.models import OrgRole
from server.sessions.models import Session
from server.sessions.roles import Role
from server.settings import Settings
from server.web.services import Services, running_services


@dataclass
class SessionFixture:
    session_id: str
    org_id: str
    tokens: dict[str, str] = field(default_factory=dict)  # name -> participant token


async def provision(settings: Settings, language: str = "python", **people: Role) -> SessionFixture:
    """Create a session and a participant per ``name=role`` (members for interviewers)."""
    async with running_services(settings) as svc:
        org = await svc.accounts.default_organization()
        session, issued = await svc.sessions.create(
            org_id=org.id, title="t", language=language, created_by=None
        )
        links = {i.link.role: i.token for i in issued}
        fixture = SessionFixture(session.id, org.id)
        for name, role in people.items():
            if role is Role.INTERVIEWER:
                fixture.tokens[name] = await member_token(svc, session, name)
            else:
                fixture.tokens[name] = (await svc.sessions.join(links[role], display_name=name)).token
        return fixture


async def member_token(svc: Services, session: Session, name: str) -> str:
    """An interviewer's pad token as their page gets it: a member (admin) ``name``, signed in,
    who entered the session; the token lasts as long as that sign-in."""
    email, password = f"{name}@example.com", "long enough password"
    await svc.accounts.create_user(org_id=session.org_id, email=email, password=password, role=OrgRole.ADMIN)
    principal, _ = await svc.accounts.login(email, password)
    admission = await svc.sessions.admit_member(
        session, user_id=principal.user.id, display_name=name, role=Role.INTERVIEWER
    )
    assert principal.login_id is not None
    return svc.sessions.member_token(admission.participant, principal.login_id)
