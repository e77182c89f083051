"""Running code: ``executor`` (what the web layer and the console call), ``dispatch/`` (where
runs happen), ``engines/`` (bubblewrap and Docker), ``sandbox/`` (the engine-independent core),
``runtime/`` (the language runtime) and ``reports/`` (test frameworks' reports). See
docs/exec.md."""
