package main

import "testing"

func TestBurst(t *testing.T) {
	l := NewLimiter(1, 2)
	if !l.Allow("a", 0) || !l.Allow("a", 0) || l.Allow("a", 0) {
		t.Fatal("a burst of 2 allows exactly two calls at once")
	}
}
