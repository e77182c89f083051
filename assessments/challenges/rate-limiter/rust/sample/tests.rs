#[test]
fn burst() {
    let mut l = Limiter::new(1.0, 2);
    assert!(l.allow("a", 0) && l.allow("a", 0) && !l.allow("a", 0));
}
