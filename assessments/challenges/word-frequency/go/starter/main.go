package main

import (
	"fmt"
	"strings"
)

// TopWords returns the k most frequent words of text, most frequent first, ties alphabetically.
func TopWords(text string, k int) []string {
	words := strings.Fields(text)
	if k < len(words) {
		return words[:k]
	}
	return words
}

func main() {
	fmt.Println(TopWords("the cat and the hat", 2))
}
