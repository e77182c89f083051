"""Import every table module so ``Base.metadata`` knows all tables (migrations, test schemas)."""

from server.store import attempt_tables as attempt_tables
from server.store import audit_tables as audit_tables
from server.store import hiring_tables as hiring_tables
from server.store import recording_tables as recording_tables
from server.store import review_tables as review_tables
from server.store import tables as tables
