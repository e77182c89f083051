"""CORE: live sessions, participants, roles, join links and the rules that govern them.

Imports no other project package (except settings/errors) and no framework or I/O library.
"""

from server.sessions.lifecycle import SessionState as SessionState
from server.sessions.models import Admission as Admission
from server.sessions.models import IssuedLink as IssuedLink
from server.sessions.models import JoinLink as JoinLink
from server.sessions.models import Participant as Participant
from server.sessions.models import Session as Session
from server.sessions.roles import Role as Role
from server.sessions.service import Credential as Credential
from server.sessions.service import SessionService as SessionService
