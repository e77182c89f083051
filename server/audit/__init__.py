"""CORE: the audit trail: records of what cannot be undone (a recording deleted, a session
imported), who did it and when. Records name what they describe; they outlive it."""
