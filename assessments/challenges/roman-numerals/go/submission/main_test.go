package main

import "testing"

func TestSmall(t *testing.T) {
	want := map[int]string{1: "I", 4: "IV", 9: "IX", 14: "XIV", 40: "XL"}
	for n, numeral := range want {
		if got := ToRoman(n); got != numeral {
			t.Fatalf("ToRoman(%d) = %q, want %q", n, got, numeral)
		}
	}
}

func TestLarge(t *testing.T) {
	if ToRoman(3999) != "MMMCMXCIX" || ToRoman(1994) != "MCMXCIV" {
		t.Fatal("3999 or 1994 is wrong")
	}
}

func TestFromRoman(t *testing.T) {
	if n, err := FromRoman("MCMXCIV"); err != nil || n != 1994 {
		t.Fatalf("FromRoman(MCMXCIV) = %d, %v", n, err)
	}
}

func TestRoundTrip(t *testing.T) {
	for n := 1; n < 4000; n++ {
		if back, err := FromRoman(ToRoman(n)); err != nil || back != n {
			t.Fatalf("round trip of %d gave %d, %v", n, back, err)
		}
	}
}

func TestRejectsInvalid(t *testing.T) {
	for _, bad := range []string{"", "IIII", "IC", "ABC", "MMMM", "VX"} {
		if _, err := FromRoman(bad); err == nil {
			t.Fatalf("FromRoman(%q) gave no error", bad)
		}
	}
}
