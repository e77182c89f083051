require 'minitest/autorun'
require_relative 'main'

class FizzBuzzTest < Minitest::Test
  def test_first_five
    assert_equal %w[1 2 Fizz 4 Buzz], fizzbuzz(5)
  end

  def test_fifteen_is_fizzbuzz
    assert_equal 'FizzBuzz', fizzbuzz(15).last
  end

  def test_length
    assert_equal 100, fizzbuzz(100).length
  end

  def test_multiples
    out = fizzbuzz(30)
    assert_equal %w[Fizz Buzz FizzBuzz], [out[8], out[9], out[29]]
  end

  def test_zero_and_negative
    assert_equal [], fizzbuzz(0)
    assert_equal [], fizzbuzz(-3)
  end
end
