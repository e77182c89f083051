package main

import "testing"

func TestToRoman(t *testing.T) {
	if got := ToRoman(1994); got != "MCMXCIV" {
		t.Fatalf("ToRoman(1994) = %q", got)
	}
}
