require 'minitest/autorun'
require_relative 'main'

class FizzBuzzSampleTest < Minitest::Test
  def test_first_five
    assert_equal %w[1 2 Fizz 4 Buzz], fizzbuzz(5)
  end
end
