package main

import (
	"fmt"
	"sort"
	"strings"
)

// TopWords returns the k most frequent words of text, most frequent first, ties alphabetically.
func TopWords(text string, k int) []string {
	if k <= 0 {
		return []string{}
	}
	counts := map[string]int{}
	isWord := func(r rune) bool { return r == '\'' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !isWord(r) }) {
		counts[strings.ToLower(w)]++
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if counts[words[i]] != counts[words[j]] {
			return counts[words[i]] > counts[words[j]]
		}
		return words[i] < words[j]
	})
	if k < len(words) {
		words = words[:k]
	}
	return words
}

func main() {
	fmt.Println(TopWords("the cat and the hat", 2))
}
