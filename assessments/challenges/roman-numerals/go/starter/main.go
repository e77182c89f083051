package main

import (
	"errors"
	"fmt"
)

// ToRoman returns the Roman numeral of n (1 <= n <= 3999).
func ToRoman(n int) string {
	return ""
}

// FromRoman returns the number a Roman numeral stands for, or an error.
func FromRoman(s string) (int, error) {
	return 0, errors.New("not implemented")
}

func main() {
	fmt.Println(ToRoman(1994))
}
