package main

import (
	"fmt"
	"math"
)

type bucket struct {
	tokens float64
	at     int64
}

// Limiter gives every key its own token bucket.
type Limiter struct {
	rate    float64
	burst   int
	buckets map[string]*bucket
	last    int64
}

// NewLimiter returns a limiter refilling rate tokens per second, at most burst per key.
func NewLimiter(rate float64, burst int) *Limiter {
	return &Limiter{rate: rate, burst: burst, buckets: map[string]*bucket{}}
}

func (l *Limiter) level(b *bucket, now int64) float64 {
	elapsed := float64(now-b.at) / 1000
	if elapsed < 0 {
		elapsed = 0
	}
	return math.Min(float64(l.burst), b.tokens+elapsed*l.rate)
}

// Allow takes one token from key's bucket at time nowMs, or says false.
func (l *Limiter) Allow(key string, nowMs int64) bool {
	if nowMs < l.last {
		nowMs = l.last
	}
	l.last = nowMs
	for k, b := range l.buckets {
		if k != key && l.level(b, nowMs) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: float64(l.burst), at: nowMs}
		l.buckets[key] = b
	}
	b.tokens, b.at = l.level(b, nowMs), nowMs
	allowed := b.tokens >= 1
	if allowed {
		b.tokens--
	}
	if b.tokens >= float64(l.burst) {
		delete(l.buckets, key)
	}
	return allowed
}

// Len is the number of keys whose bucket is not full.
func (l *Limiter) Len() int {
	return len(l.buckets)
}

func main() {
	l := NewLimiter(1, 2)
	fmt.Println(l.Allow("a", 0), l.Allow("a", 0), l.Allow("a", 0))
}
