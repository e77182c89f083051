#[test]
fn nested() {
    assert!(is_balanced("(a[b]{c})"));
}

#[test]
fn crossed() {
    assert!(!is_balanced("([)]"));
}
