from main import fizzbuzz


def test_first_five():
    assert fizzbuzz(5) == ["1", "2", "Fizz", "4", "Buzz"]


def test_fifteen_is_fizzbuzz():
    assert fizzbuzz(15)[-1] == "FizzBuzz"


def test_length():
    assert len(fizzbuzz(100)) == 100


def test_multiples():
    out = fizzbuzz(30)
    assert out[8] == "Fizz" and out[9] == "Buzz" and out[29] == "FizzBuzz"


def test_zero_and_negative():
    assert fizzbuzz(0) == [] and fizzbuzz(-3) == []
