# The FizzBuzz sequence from 1 to n.
def fizzbuzz(n)
  (1..n).map do |i|
    word = (i % 3 == 0 ? 'Fizz' : '') + (i % 5 == 0 ? 'Buzz' : '')
    word.empty? ? i.to_s : word
  end
end
