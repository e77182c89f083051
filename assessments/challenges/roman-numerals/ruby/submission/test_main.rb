require 'minitest/autorun'
require_relative 'main'

class RomanTest < Minitest::Test
  def test_small
    assert_equal %w[I IV IX XIV XL], [1, 4, 9, 14, 40].map { |n| to_roman(n) }
  end

  def test_large
    assert_equal 'MMMCMXCIX', to_roman(3999)
    assert_equal 'MCMXCIV', to_roman(1994)
  end

  def test_from_roman
    assert_equal 1994, from_roman('MCMXCIV')
  end

  def test_round_trip
    (1..3999).each { |n| assert_equal n, from_roman(to_roman(n)) }
  end

  def test_rejects_invalid
    ['', 'IIII', 'IC', 'ABC', 'MMMM', 'VX'].each do |bad|
      assert_raises(ArgumentError) { from_roman(bad) }
    end
  end
end
