package main

import (
	"reflect"
	"testing"
)

func TestExample(t *testing.T) {
	if got := TopWords("the cat and the hat", 2); !reflect.DeepEqual(got, []string{"the", "and"}) {
		t.Fatalf("got %q", got)
	}
}
