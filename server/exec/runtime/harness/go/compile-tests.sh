#!/bin/sh
# Copy the candidate's and the test author's Go files next to the harness (which must sort first)
# and build one test binary.
set -e
build=/work/.duet/go
mkdir -p "$build"
cp ./*.go "$build"/
cp /opt/duet/harness/go/go.mod /opt/duet/harness/go/0duet_test.go "$build"/
cd "$build"
go test -c -o /work/.duet/go.test .
