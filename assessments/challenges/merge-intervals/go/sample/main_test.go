package main

import (
	"reflect"
	"testing"
)

func TestExample(t *testing.T) {
	got := Merge([][2]int{{1, 3}, {8, 10}, {2, 6}})
	if !reflect.DeepEqual(got, [][2]int{{1, 6}, {8, 10}}) {
		t.Fatalf("got %v", got)
	}
}
