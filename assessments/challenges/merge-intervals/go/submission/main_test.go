package main

import (
	"math/rand"
	"reflect"
	"testing"
)

func check(t *testing.T, in, want [][2]int) {
	t.Helper()
	if got := Merge(in); !reflect.DeepEqual(got, want) {
		t.Fatalf("Merge(%v) = %v, want %v", in, got, want)
	}
}

func TestExample(t *testing.T)  { check(t, [][2]int{{1, 3}, {8, 10}, {2, 6}}, [][2]int{{1, 6}, {8, 10}}) }
func TestEmpty(t *testing.T)    { check(t, [][2]int{}, [][2]int{}) }
func TestTouching(t *testing.T) { check(t, [][2]int{{1, 2}, {2, 3}}, [][2]int{{1, 3}}) }
func TestNested(t *testing.T)   { check(t, [][2]int{{1, 10}, {2, 3}, {4, 5}}, [][2]int{{1, 10}}) }

func TestInputUntouched(t *testing.T) {
	data := [][2]int{{5, 6}, {1, 2}}
	Merge(data)
	if !reflect.DeepEqual(data, [][2]int{{5, 6}, {1, 2}}) {
		t.Fatalf("the input changed: %v", data)
	}
}

func TestLargeInput(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	data := make([][2]int, 100000)
	covered := map[int]bool{}
	for i := range data {
		s := rng.Intn(1000000)
		data[i] = [2]int{s, s + rng.Intn(4)}
		for p := data[i][0]; p <= data[i][1]; p++ {
			covered[p] = true
		}
	}
	out := Merge(data)
	total := 0
	for i, iv := range out {
		if i > 0 && out[i-1][1] >= iv[0] {
			t.Fatalf("overlap at %d", i)
		}
		total += iv[1] - iv[0] + 1
	}
	if total != len(covered) {
		t.Fatalf("covers %d points, want %d", total, len(covered))
	}
}
