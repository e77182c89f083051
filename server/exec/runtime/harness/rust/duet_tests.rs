// Duet test crate root: the candidate's program and the test author's tests in one crate, so the
// tests see the candidate's private functions. Tests are reported as `duet_tests::<name>`.
include!("/work/main.rs");

#[cfg(test)]
mod duet_tests {
    #[allow(unused_imports)]
    use super::*;
    include!("/work/tests.rs");
}
