#[test]
fn burst() {
    let mut l = Limiter::new(1.0, 2);
    assert!(l.allow("a", 0) && l.allow("a", 0) && !l.allow("a", 0));
}

#[test]
fn refill() {
    let mut l = Limiter::new(2.0, 1);
    assert!(l.allow("a", 0) && !l.allow("a", 250) && l.allow("a", 500));
}

#[test]
fn keys_are_independent() {
    let mut l = Limiter::new(1.0, 1);
    assert!(l.allow("a", 0) && l.allow("b", 0) && !l.allow("a", 10));
}

#[test]
fn time_going_backwards() {
    let mut l = Limiter::new(1.0, 1);
    assert!(l.allow("a", 10_000) && !l.allow("a", 0) && !l.allow("a", 10_500) && l.allow("a", 11_000));
}

#[test]
fn forgets_idle_keys() {
    let mut l = Limiter::new(10.0, 5);
    for i in 0..1000 {
        l.allow(&format!("key{}", i), 0);
    }
    assert_eq!(l.len(), 1000);
    l.allow("late", 1000);
    assert_eq!(l.len(), 1);
}
