"""The language runtime: the catalogue of languages (``languages/``) and their test harnesses
(``harness/``), the root file system built from them (``rootfs``, ``apt_sources``), the Docker
image's Dockerfile generated from the same catalogue (``dockerfile``), and the check that the
runner's uid and gid are nobody's on this host (``host_ids``)."""
