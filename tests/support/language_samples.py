"""Per-language sample programs: a greeter reading stdin, a compile error, and a small solution
with a test file of four tests (two pass, one fails an assertion, one errors).

The solution of every language has ``add`` and ``sub`` (right), ``mul`` (wrong: adds) and ``div``
(divides by zero or otherwise blows up); the tests are named after them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    greeter: str
    #: None for interpreted languages.
    broken: str | None
    solution: str
    tests: str
    #: Expected test names, in order, as the parsers report them.
    names: tuple[str, str, str, str]


GREETING_STDIN = "world\n"
GREETING_STDOUT = "Hello, world\n"

SAMPLES: dict[str, Sample] = {
    "python": Sample(
        greeter='import sys\nprint("Hello, " + sys.stdin.readline().strip())\n',
        broken=None,
        solution=(
            "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n\n\n"
            "def mul(a, b):\n    return a + b\n\n\ndef div(a, b):\n    return a // 0\n"
        ),
        tests=(
            "from main import add, sub, mul, div\n\n\n"
            "def test_add():\n    assert add(2, 3) == 5\n\n\n"
            "def test_sub():\n    assert sub(5, 3) == 2\n\n\n"
            "def test_mul():\n    assert mul(2, 3) == 6\n\n\n"
            "def test_div():\n    assert div(6, 3) == 2\n"
        ),
        names=("test_add", "test_sub", "test_mul", "test_div"),
    ),
    "javascript": Sample(
        greeter=(
            "const line = require('fs').readFileSync(0, 'utf8').split('\\n')[0];\n"
            "console.log('Hello, ' + line);\n"
        ),
        broken=None,
        solution=(
            "function add(a, b) { return a + b; }\n"
            "function sub(a, b) { return a - b; }\n"
            "function mul(a, b) { return a + b; }\n"
            "function div(a, b) { return null.value / b; }\n"
            "module.exports = { add, sub, mul, div };\n"
        ),
        tests=(
            "const test = require('node:test');\nconst assert = require('node:assert');\n"
            "const { add, sub, mul, div } = require('./main.js');\n"
            "test('add', () => { assert.strictEqual(add(2, 3), 5); });\n"
            "test('sub', () => { assert.strictEqual(sub(5, 3), 2); });\n"
            "test('mul', () => { assert.strictEqual(mul(2, 3), 6); });\n"
            "test('div', () => { assert.strictEqual(div(6, 3), 2); });\n"
        ),
        names=("add", "sub", "mul", "div"),
    ),
    "typescript": Sample(
        greeter=(
            "const line: string = require('fs').readFileSync(0, 'utf8').split('\\n')[0];\n"
            "console.log('Hello, ' + line);\n"
        ),
        broken="const n: number = 'not a number';\nconsole.log(n);\n",
        solution=(
            "export function add(a: number, b: number): number { return a + b; }\n"
            "export function sub(a: number, b: number): number { return a - b; }\n"
            "export function mul(a: number, b: number): number { return a + b; }\n"
            "export function div(a: number, b: number): number {\n"
            "  const box: { value: number } | null = JSON.parse('null');\n"
            "  return box!.value / b;\n}\n"
        ),
        tests=(
            "import test from 'node:test';\nimport assert from 'node:assert';\n"
            "import { add, sub, mul, div } from './main';\n"
            "test('add', () => { assert.strictEqual(add(2, 3), 5); });\n"
            "test('sub', () => { assert.strictEqual(sub(5, 3), 2); });\n"
            "test('mul', () => { assert.strictEqual(mul(2, 3), 6); });\n"
            "test('div', () => { assert.strictEqual(div(6, 3), 2); });\n"
        ),
        names=("add", "sub", "mul", "div"),
    ),
    "java": Sample(
        greeter=(
            "import java.util.Scanner;\n\npublic class Main {\n"
            "    public static void main(String[] args) {\n"
            "        Scanner in = new Scanner(System.in);\n"
            '        System.out.println("Hello, " + in.nextLine());\n    }\n}\n'
        ),
        broken='public class Main {\n    public static void main(String[] args) { int x = "no"; }\n}\n',
        solution=(
            "public class Main {\n"
            "    static int add(int a, int b) { return a + b; }\n"
            "    static int sub(int a, int b) { return a - b; }\n"
            "    static int mul(int a, int b) { return a + b; }\n"
            "    static int div(int a, int b) { return a / 0; }\n"
            "    public static void main(String[] args) {}\n}\n"
        ),
        tests=(
            "import static org.junit.jupiter.api.Assertions.assertEquals;\n"
            "import org.junit.jupiter.api.Test;\n\n"
            "class MainTest {\n"
            "    @Test void add() { assertEquals(5, Main.add(2, 3)); }\n"
            "    @Test void sub() { assertEquals(2, Main.sub(5, 3)); }\n"
            "    @Test void mul() { assertEquals(6, Main.mul(2, 3)); }\n"
            "    @Test void div() { assertEquals(2, Main.div(6, 3)); }\n}\n"
        ),
        names=("add", "sub", "mul", "div"),
    ),
    "c": Sample(
        greeter=(
            "#include <stdio.h>\n#include <string.h>\n\nint main(void) {\n"
            "    char line[256] = {0};\n    if (!fgets(line, sizeof line, stdin)) return 1;\n"
            '    line[strcspn(line, "\\n")] = 0;\n    printf("Hello, %s\\n", line);\n    return 0;\n}\n'
        ),
        broken="int main(void) { return undefined_name; }\n",
        solution=(
            "#include <stddef.h>\n"
            "int add(int a, int b) { return a + b; }\n"
            "int sub(int a, int b) { return a - b; }\n"
            "int mul(int a, int b) { return a + b; }\n"
            "int div_(int a, int b) { volatile int *p = NULL; return a / b + *p; }\n"
            "int main(void) { return 0; }\n"
        ),
        tests=(
            "#include <stdarg.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <setjmp.h>\n"
            "#include <cmocka.h>\n\n"
            "int add(int, int);\nint sub(int, int);\nint mul(int, int);\nint div_(int, int);\n\n"
            "static void test_add(void **state) { (void)state; assert_int_equal(add(2, 3), 5); }\n"
            "static void test_sub(void **state) { (void)state; assert_int_equal(sub(5, 3), 2); }\n"
            "static void test_mul(void **state) { (void)state; assert_int_equal(mul(2, 3), 6); }\n"
            "static void test_div(void **state) { (void)state; assert_int_equal(div_(6, 3), 2); }\n\n"
            "int main(void) {\n    const struct CMUnitTest tests[] = {\n"
            "        cmocka_unit_test(test_add), cmocka_unit_test(test_sub),\n"
            "        cmocka_unit_test(test_mul), cmocka_unit_test(test_div),\n    };\n"
            '    return cmocka_run_group_tests_name("solution", tests, NULL, NULL);\n}\n'
        ),
        names=("test_add", "test_sub", "test_mul", "test_div"),
    ),
    "cpp": Sample(
        greeter=(
            "#include <iostream>\n#include <string>\n\nint main() {\n    std::string line;\n"
            '    std::getline(std::cin, line);\n    std::cout << "Hello, " << line << std::endl;\n}\n'
        ),
        broken="int main() { return undefined_name; }\n",
        solution=(
            "#include <stdexcept>\n"
            "int add(int a, int b) { return a + b; }\n"
            "int sub(int a, int b) { return a - b; }\n"
            "int mul(int a, int b) { return a + b; }\n"
            'int div_(int a, int b) { throw std::runtime_error("division exploded"); }\n'
            "int main() { return 0; }\n"
        ),
        tests=(
            "#include <gtest/gtest.h>\n\n"
            "int add(int, int);\nint sub(int, int);\nint mul(int, int);\nint div_(int, int);\n\n"
            "TEST(Math, Add) { EXPECT_EQ(add(2, 3), 5); }\n"
            "TEST(Math, Sub) { EXPECT_EQ(sub(5, 3), 2); }\n"
            "TEST(Math, Mul) { EXPECT_EQ(mul(2, 3), 6); }\n"
            "TEST(Math, Div) { EXPECT_EQ(div_(6, 3), 2); }\n"
        ),
        names=("Math.Add", "Math.Sub", "Math.Mul", "Math.Div"),
    ),
    "go": Sample(
        greeter=(
            'package main\n\nimport (\n\t"bufio"\n\t"fmt"\n\t"os"\n\t"strings"\n)\n\n'
            "func main() {\n\tline, _ := bufio.NewReader(os.Stdin).ReadString('\\n')\n"
            '\tfmt.Println("Hello, " + strings.TrimSpace(line))\n}\n'
        ),
        broken='package main\n\nfunc main() {\n\tvar x int = "no"\n}\n',
        solution=(
            "package main\n\n"
            "func add(a, b int) int { return a + b }\n"
            "func sub(a, b int) int { return a - b }\n"
            "func mul(a, b int) int { return a + b }\n"
            'func div(a, b int) int { var m map[string]int; m["x"] = 1; return a / b }\n'
            "func main() {}\n"
        ),
        tests=(
            'package main\n\nimport "testing"\n\n'
            'func TestAdd(t *testing.T) { if add(2, 3) != 5 { t.Fatal("add(2, 3) != 5") } }\n'
            'func TestSub(t *testing.T) { if sub(5, 3) != 2 { t.Fatal("sub(5, 3) != 2") } }\n'
            "func TestMul(t *testing.T) {\n"
            '\tif got := mul(2, 3); got != 6 {\n\t\tt.Fatalf("mul(2, 3) = %d, want 6", got)\n\t}\n}\n'
            'func TestDiv(t *testing.T) { if div(6, 3) != 2 { t.Fatal("div(6, 3) != 2") } }\n'
        ),
        names=("TestAdd", "TestSub", "TestMul", "TestDiv"),
    ),
    "ruby": Sample(
        greeter='puts "Hello, #{$stdin.gets.strip}"\n',
        broken=None,
        solution=(
            "def add(a, b) = a + b\ndef sub(a, b) = a - b\ndef mul(a, b) = a + b\ndef div(a, b) = a / 0\n"
        ),
        tests=(
            "require 'minitest/autorun'\nrequire_relative 'main'\n\n"
            "class MathTest < Minitest::Test\n"
            "  def test_add = assert_equal(5, add(2, 3))\n"
            "  def test_sub = assert_equal(2, sub(5, 3))\n"
            "  def test_mul = assert_equal(6, mul(2, 3))\n"
            "  def test_div = assert_equal(2, div(6, 3))\nend\n"
        ),
        names=("MathTest#test_add", "MathTest#test_sub", "MathTest#test_mul", "MathTest#test_div"),
    ),
    "rust": Sample(
        greeter=(
            "use std::io::BufRead;\n\nfn main() {\n    let mut line = String::new();\n"
            "    std::io::stdin().lock().read_line(&mut line).unwrap();\n"
            '    println!("Hello, {}", line.trim());\n}\n'
        ),
        broken='fn main() {\n    let x: i32 = "no";\n}\n',
        solution=(
            "fn add(a: i32, b: i32) -> i32 { a + b }\n"
            "fn sub(a: i32, b: i32) -> i32 { a - b }\n"
            "fn mul(a: i32, b: i32) -> i32 { a + b }\n"
            "fn div(a: i32, b: i32) -> i32 { let v: Vec<i32> = Vec::new(); a / b + v[b as usize] }\n"
            "fn main() {}\n"
        ),
        tests=(
            "#[test]\nfn add_works() { assert_eq!(add(2, 3), 5); }\n"
            "#[test]\nfn sub_works() { assert_eq!(sub(5, 3), 2); }\n"
            "#[test]\nfn mul_works() { assert_eq!(mul(2, 3), 6); }\n"
            "#[test]\nfn div_works() { assert_eq!(div(6, 3), 2); }\n"
        ),
        names=("add_works", "sub_works", "mul_works", "div_works"),
    ),
    "php": Sample(
        greeter='<?php\necho "Hello, " . trim(fgets(STDIN)) . "\\n";\n',
        broken=None,
        solution=(
            "<?php\nfunction add($a, $b) { return $a + $b; }\nfunction sub($a, $b) { return $a - $b; }\n"
            "function mul($a, $b) { return $a + $b; }\nfunction div($a, $b) { return intdiv($a, 0); }\n"
        ),
        tests=(
            "<?php\nuse PHPUnit\\Framework\\TestCase;\nrequire_once __DIR__ . '/main.php';\n\n"
            "final class MainTest extends TestCase {\n"
            "    public function testAdd(): void { $this->assertSame(5, add(2, 3)); }\n"
            "    public function testSub(): void { $this->assertSame(2, sub(5, 3)); }\n"
            "    public function testMul(): void { $this->assertSame(6, mul(2, 3)); }\n"
            "    public function testDiv(): void { $this->assertSame(2, div(6, 3)); }\n}\n"
        ),
        names=("testAdd", "testSub", "testMul", "testDiv"),
    ),
    "bash": Sample(
        greeter='read -r line\necho "Hello, $line"\n',
        broken=None,
        solution=(
            "add() { echo $(( $1 + $2 )); }\nsub() { echo $(( $1 - $2 )); }\n"
            "mul() { echo $(( $1 + $2 )); }\ndiv() { no_such_command_here; }\n"
        ),
        tests=(
            "setup() { source ./main.sh; }\n\n"
            '@test "add" { run add 2 3; [ "$output" = 5 ]; }\n'
            '@test "sub" { run sub 5 3; [ "$output" = 2 ]; }\n'
            '@test "mul" { run mul 2 3; [ "$output" = 6 ]; }\n'
            '@test "div" { run div 6 3; [ "$status" -eq 0 ]; [ "$output" = 2 ]; }\n'
        ),
        names=("add", "sub", "mul", "div"),
    ),
    "sql": Sample(
        greeter=(
            "CREATE TABLE input(line TEXT);\n.import /dev/stdin input\n"
            "SELECT 'Hello, ' || line FROM input LIMIT 1;\n"
        ),
        broken=None,
        solution="SELECT name, total FROM orders WHERE total > 10 ORDER BY name;\n",
        tests=(
            '{"tests": ['
            '{"name": "big orders", "setup": "CREATE TABLE orders(name TEXT, total INT);'
            " INSERT INTO orders VALUES ('a', 5), ('b', 20), ('c', 30);\","
            ' "expected": [["b", 20], ["c", 30]]},'
            '{"name": "no orders", "setup": "CREATE TABLE orders(name TEXT, total INT);", "expected": []},'
            '{"name": "threshold is inclusive", "setup": "CREATE TABLE orders(name TEXT, total INT);'
            ' INSERT INTO orders VALUES (\'a\', 10);", "expected": [["a", 10]]},'
            '{"name": "other schema", "setup": "CREATE TABLE sales(name TEXT);", "expected": []}'
            "]}"
        ),
        names=("big orders", "no orders", "threshold is inclusive", "other schema"),
    ),
}
