package main

// Duet test harness. The testing package writes its verbose report to whatever os.Stdout is when
// m.Run starts; TestMain points it at a file in the results directory, and the first test (this
// file sorts first) gives the program its real stdout back. So nothing the candidate prints can
// look like a test result, and os.Exit(0) during a test is reported by the testing package.

import (
	"fmt"
	"os"
	"testing"
)

var duetRealStdout = os.Stdout

func Test0DuetRestoreStdout(t *testing.T) {
	os.Stdout = duetRealStdout
}

func TestMain(m *testing.M) {
	report, err := os.OpenFile("/results/go-test.txt", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "duet: cannot create the test report:", err)
		os.Exit(3)
	}
	os.Stdout = report
	code := m.Run()
	os.Stdout = duetRealStdout
	if code == 0 {
		fmt.Fprintln(report, "PASS")
	} else {
		fmt.Fprintln(report, "FAIL")
	}
	report.Close()
	os.Exit(code)
}
