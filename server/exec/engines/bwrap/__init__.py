"""The bubblewrap engine: ``engine`` (the engine and its warm pool), ``sandbox`` (one sandbox,
prepared ahead and started once), ``child`` (vfork'd processes), ``command_line`` (the step's
command as the trampoline reads it)."""
