"""Import every table module so ``Base.metadata`` knows all tables (migrations, test schemas)."""

from server.store import tables as tables
