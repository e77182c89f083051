<?php
// Duet's PHPUnit reporter: one JSON line per test in /results/report.jsonl, ended by
// {"duet_end": {"count", "mac"}} once PHPUnit has run every test (AfterLastTestHook). Loaded with
// --bootstrap, so it reads the report guard's key (fd 3) and creates the report before PHPUnit
// loads MainTest.php and, through it, the candidate's main.php; the hooks are registered with
// --extensions. See server/exec/reports/seal.py for the checks.
declare(strict_types=1);

namespace Duet;

use PHPUnit\Runner\AfterIncompleteTestHook;
use PHPUnit\Runner\AfterLastTestHook;
use PHPUnit\Runner\AfterRiskyTestHook;
use PHPUnit\Runner\AfterSkippedTestHook;
use PHPUnit\Runner\AfterSuccessfulTestHook;
use PHPUnit\Runner\AfterTestErrorHook;
use PHPUnit\Runner\AfterTestFailureHook;
use PHPUnit\Runner\AfterTestWarningHook;

final class Reporter implements
    AfterSuccessfulTestHook,
    AfterTestFailureHook,
    AfterTestErrorHook,
    AfterSkippedTestHook,
    AfterIncompleteTestHook,
    AfterRiskyTestHook,
    AfterTestWarningHook,
    AfterLastTestHook
{
    private const MAX_MESSAGE = 4000;
    /** @var resource|null */
    private static $out = null;
    /** @var \HashContext|null */
    private static $mac = null;
    private static int $count = 0;

    public static function open(string $path): void
    {
        $keyFile = @fopen('php://fd/3', 'rb');
        $hex = $keyFile === false ? '' : trim((string) stream_get_contents($keyFile));
        if ($keyFile !== false) {
            fclose($keyFile);
        }
        $key = $hex === '' ? false : @hex2bin($hex);
        // Without the guard's key the MAC is under a random one: the host will not accept it.
        self::$mac = hash_init('sha256', HASH_HMAC, $key === false || $key === '' ? random_bytes(32) : $key);
        $out = fopen($path, 'xb'); // O_CREAT|O_EXCL: a planted file or link makes this fail
        if ($out === false) {
            fwrite(STDERR, "duet: cannot create the test report\n");
            exit(3);
        }
        self::$out = $out;
    }

    private function write(string $test, string $status, string $message, float $time): void
    {
        $name = strpos($test, '::') === false ? $test : substr($test, strpos($test, '::') + 2);
        $line = json_encode([
            'name' => $name,
            'status' => $status,
            'message' => mb_substr($message, 0, self::MAX_MESSAGE),
            'duration_ms' => round($time * 1000, 3),
        ], JSON_INVALID_UTF8_SUBSTITUTE) . "\n";
        hash_update(self::$mac, $line);
        self::$count++;
        fwrite(self::$out, $line);
        fflush(self::$out);
    }

    public function executeAfterSuccessfulTest(string $test, float $time): void
    {
        $this->write($test, 'passed', '', $time);
    }

    public function executeAfterTestFailure(string $test, string $message, float $time): void
    {
        $this->write($test, 'failed', $message, $time);
    }

    public function executeAfterTestError(string $test, string $message, float $time): void
    {
        $this->write($test, 'error', $message, $time);
    }

    public function executeAfterSkippedTest(string $test, string $message, float $time): void
    {
        $this->write($test, 'failed', 'skipped', $time);
    }

    public function executeAfterIncompleteTest(string $test, string $message, float $time): void
    {
        $this->write($test, 'failed', 'incomplete: ' . $message, $time);
    }

    public function executeAfterRiskyTest(string $test, string $message, float $time): void
    {
        $this->write($test, 'error', 'risky: ' . $message, $time);
    }

    public function executeAfterTestWarning(string $test, string $message, float $time): void
    {
        $this->write($test, 'failed', 'warning: ' . $message, $time);
    }

    public function executeAfterLastTest(): void
    {
        $end = ['duet_end' => ['count' => self::$count, 'mac' => hash_final(self::$mac)]];
        fwrite(self::$out, json_encode($end) . "\n");
        fflush(self::$out);
    }
}

Reporter::open('/results/report.jsonl');
