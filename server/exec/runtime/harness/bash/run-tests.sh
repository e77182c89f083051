#!/bin/sh
# bats 1.8's --report-formatter loses the end of its report (it is written by a process bats does
# not wait for), so the JUnit formatter writes to stdout, redirected into the results directory.
# The tests' own output is captured by bats and never reaches this stream.
exec bats --formatter junit main.bats > /results/report.xml
