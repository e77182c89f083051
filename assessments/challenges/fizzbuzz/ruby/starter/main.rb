# The FizzBuzz sequence from 1 to n.
def fizzbuzz(n)
  (1..n).map(&:to_s)
end
