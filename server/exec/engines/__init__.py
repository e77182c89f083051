"""The isolation engines: ``auto`` chooses one from Settings; ``bwrap/`` and ``docker/`` are one
engine each. The engines never import each other."""
