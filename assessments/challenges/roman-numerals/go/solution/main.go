package main

import (
	"fmt"
	"strings"
)

var values = []struct {
	value   int
	numeral string
}{
	{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"},
	{50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"},
}

// ToRoman returns the Roman numeral of n (1 <= n <= 3999).
func ToRoman(n int) string {
	var b strings.Builder
	for _, v := range values {
		for n >= v.value {
			b.WriteString(v.numeral)
			n -= v.value
		}
	}
	return b.String()
}

// FromRoman returns the number a Roman numeral stands for, or an error.
func FromRoman(s string) (int, error) {
	total, rest := 0, s
	for _, v := range values {
		for strings.HasPrefix(rest, v.numeral) {
			total += v.value
			rest = rest[len(v.numeral):]
		}
	}
	if rest != "" || total < 1 || total > 3999 || ToRoman(total) != s {
		return 0, fmt.Errorf("%q is not a Roman numeral", s)
	}
	return total, nil
}

func main() {
	fmt.Println(ToRoman(1994))
}
