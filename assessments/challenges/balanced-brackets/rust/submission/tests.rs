#[test]
fn empty() {
    assert!(is_balanced(""));
}

#[test]
fn nested() {
    assert!(is_balanced("(a[b]{c})"));
}

#[test]
fn crossed() {
    assert!(!is_balanced("([)]"));
}

#[test]
fn unclosed() {
    assert!(!is_balanced("(("));
}

#[test]
fn close_first() {
    assert!(!is_balanced(")("));
}

#[test]
fn long() {
    assert!(is_balanced(&"{[()]}".repeat(10_000)));
}
