"""CORE: organizations, members, passwords, API keys and browser logins. No framework, no I/O library."""

from server.accounts.models import ApiKey as ApiKey
from server.accounts.models import Organization as Organization
from server.accounts.models import OrgRole as OrgRole
from server.accounts.models import Principal as Principal
from server.accounts.models import User as User
from server.accounts.service import AccountService as AccountService
