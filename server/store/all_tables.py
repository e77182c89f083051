"""Import every table module so ``Base.metadata`` knows all tables (migrations, test schemas)."""

from server.store import recording_tables as recording_tables
from server.store import tables as tables
