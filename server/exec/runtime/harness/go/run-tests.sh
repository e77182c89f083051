#!/bin/sh
# Run the test binary (its report goes to /results/go-test.txt, see 0duet_test.go), then convert
# the report to JSON events with Go's own test2json.
/work/.duet/go.test -test.v -test.count=1 -test.timeout=0
status=$?
if [ -f /results/go-test.txt ] && [ ! -L /results/go-test.txt ]; then
  go tool test2json -t < /results/go-test.txt > /results/report.jsonl
fi
exit $status
