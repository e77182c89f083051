#!/bin/sh
# Verdicts go to libtest's --logfile; the JSON events (for failure messages) to a results file.
# RUSTC_BOOTSTRAP lets stable libtest accept -Z unstable-options for --format json.
RUSTC_BOOTSTRAP=1 exec /work/.duet-tests --test-threads=1 --logfile /results/tests.log \
  -Z unstable-options --format json --report-time > /results/events.json
