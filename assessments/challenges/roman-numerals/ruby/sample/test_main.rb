require 'minitest/autorun'
require_relative 'main'

class RomanSampleTest < Minitest::Test
  def test_to_roman
    assert_equal 'MCMXCIV', to_roman(1994)
  end
end
