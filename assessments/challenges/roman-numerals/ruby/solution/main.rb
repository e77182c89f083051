VALUES = [
  [1000, 'M'], [900, 'CM'], [500, 'D'], [400, 'CD'], [100, 'C'], [90, 'XC'],
  [50, 'L'], [40, 'XL'], [10, 'X'], [9, 'IX'], [5, 'V'], [4, 'IV'], [1, 'I']
].freeze

def to_roman(n)
  raise ArgumentError, "#{n} has no Roman numeral" unless (1..3999).cover?(n)

  VALUES.map do |value, numeral|
    count, n = n.divmod(value)
    numeral * count
  end.join
end

def from_roman(s)
  total = 0
  rest = s
  VALUES.each do |value, numeral|
    while rest.start_with?(numeral)
      total += value
      rest = rest[numeral.length..]
    end
  end
  unless rest.empty? && (1..3999).cover?(total) && to_roman(total) == s
    raise ArgumentError, "#{s.inspect} is not a Roman numeral"
  end

  total
end
