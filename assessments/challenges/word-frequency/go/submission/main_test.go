package main

import (
	"reflect"
	"testing"
)

func check(t *testing.T, text string, k int, want []string) {
	t.Helper()
	if got := TopWords(text, k); !reflect.DeepEqual(got, want) {
		t.Fatalf("TopWords(%q, %d) = %q, want %q", text, k, got, want)
	}
}

func TestExample(t *testing.T)             { check(t, "the cat and the hat", 2, []string{"the", "and"}) }
func TestCaseAndPunctuation(t *testing.T)  { check(t, "Go, go! GO? stop.", 1, []string{"go"}) }
func TestApostrophes(t *testing.T)         { check(t, "don't don't do", 1, []string{"don't"}) }
func TestTiesAlphabetical(t *testing.T)    { check(t, "b a c b a c", 3, []string{"a", "b", "c"}) }
func TestFewerThanK(t *testing.T)          { check(t, "one two", 5, []string{"one", "two"}) }
func TestNonPositiveK(t *testing.T)        { check(t, "one two", 0, []string{}) }
