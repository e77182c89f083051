package main

import "fmt"

// Limiter gives every key its own token bucket.
type Limiter struct {
	rate  float64
	burst int
}

// NewLimiter returns a limiter refilling rate tokens per second, at most burst per key.
func NewLimiter(rate float64, burst int) *Limiter {
	return &Limiter{rate: rate, burst: burst}
}

// Allow takes one token from key's bucket at time nowMs, or says false.
func (l *Limiter) Allow(key string, nowMs int64) bool {
	return true
}

// Len is the number of keys whose bucket is not full.
func (l *Limiter) Len() int {
	return 0
}

func main() {
	l := NewLimiter(1, 2)
	fmt.Println(l.Allow("a", 0), l.Allow("a", 0), l.Allow("a", 0))
}
