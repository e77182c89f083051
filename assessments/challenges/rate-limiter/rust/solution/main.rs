use std::collections::HashMap;

struct Bucket {
    tokens: f64,
    at: u64,
}

/// Gives every key its own token bucket.
pub struct Limiter {
    rate: f64,
    burst: u32,
    buckets: HashMap<String, Bucket>,
    last: u64,
}

impl Limiter {
    pub fn new(rate: f64, burst: u32) -> Limiter {
        Limiter { rate, burst, buckets: HashMap::new(), last: 0 }
    }

    fn level(&self, bucket: &Bucket, now: u64) -> f64 {
        let elapsed = now.saturating_sub(bucket.at) as f64 / 1000.0;
        (bucket.tokens + elapsed * self.rate).min(self.burst as f64)
    }

    /// Takes one token from key's bucket at time now_ms, or says false.
    pub fn allow(&mut self, key: &str, now_ms: u64) -> bool {
        let now = now_ms.max(self.last);
        self.last = now;
        let full = self.burst as f64;
        let stale: Vec<String> = self
            .buckets
            .iter()
            .filter(|(k, b)| k.as_str() != key && self.level(b, now) >= full)
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            self.buckets.remove(&k);
        }
        let mut bucket = self.buckets.remove(key).unwrap_or(Bucket { tokens: full, at: now });
        bucket.tokens = self.level(&bucket, now);
        bucket.at = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        if bucket.tokens < full {
            self.buckets.insert(key.to_string(), bucket);
        }
        allowed
    }

    /// The number of keys whose bucket is not full.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }
}

fn main() {
    let mut limiter = Limiter::new(1.0, 2);
    println!("{}", limiter.allow("a", 0));
}
