def to_roman(n)
  raise NotImplementedError
end

def from_roman(s)
  raise NotImplementedError
end
