package main

import "testing"

func TestBurst(t *testing.T) {
	l := NewLimiter(1, 2)
	if !l.Allow("a", 0) || !l.Allow("a", 0) || l.Allow("a", 0) {
		t.Fatal("a burst of 2 allows exactly two calls at once")
	}
}

func TestRefill(t *testing.T) {
	l := NewLimiter(2, 1)
	if !l.Allow("a", 0) || l.Allow("a", 250) || !l.Allow("a", 500) {
		t.Fatal("at 2 per second a token is back after 500 ms, not 250 ms")
	}
}

func TestKeysAreIndependent(t *testing.T) {
	l := NewLimiter(1, 1)
	if !l.Allow("a", 0) || !l.Allow("b", 0) || l.Allow("a", 10) {
		t.Fatal("each key has its own bucket")
	}
}

func TestTimeGoingBackwards(t *testing.T) {
	l := NewLimiter(1, 1)
	if !l.Allow("a", 10000) || l.Allow("a", 0) || l.Allow("a", 10500) || !l.Allow("a", 11000) {
		t.Fatal("time going backwards must not refill a bucket")
	}
}

func TestForgetsIdleKeys(t *testing.T) {
	l := NewLimiter(10, 5)
	for i := 0; i < 1000; i++ {
		l.Allow(string(rune('a'+i%26))+string(rune('a'+i/26)), 0)
	}
	if l.Len() != 1000 {
		t.Fatalf("1000 busy keys, Len() = %d", l.Len())
	}
	l.Allow("late", 1000)
	if l.Len() != 1 {
		t.Fatalf("after a second every old bucket is full again: Len() = %d, want 1", l.Len())
	}
}
