# Run a minitest file and write one JSON line per test into the results file.
# Usage: run_tests.rb RESULTS_FILE TEST_FILE. The results file is opened (exclusively, without
# following symlinks) before the tests or the candidate's code are loaded; each line is flushed as
# soon as its test finishes. The guard's key (fd 3) is read and closed before anything else is
# loaded; the report ends with {"duet_end": {"count", "mac"}}, an HMAC-SHA256 of every byte before
# it (see ../python/run_tests.py and server/exec/reports/seal.py).
require "json"
require "openssl"
require "minitest"

module Minitest
  class DuetReporter < AbstractReporter
    MAX_MESSAGE = 4000

    def initialize(io, key)
      super()
      @io = io
      @mac = OpenSSL::HMAC.new(key, OpenSSL::Digest.new("SHA256"))
      @count = 0
    end

    def report
      @io.write(JSON.generate({ duet_end: { count: @count, mac: @mac.hexdigest } }) + "\n")
      @io.flush
    end

    def record(result)
      failure = result.failures.first
      status =
        if failure.nil? then "passed"
        elsif failure.is_a?(Minitest::UnexpectedError) then "error"
        else "failed"
        end
      message = failure.nil? ? "" : failure.is_a?(Minitest::Skip) ? "skipped" : failure.message.to_s
      line = {
        name: "#{result.klass}##{result.name}",
        status: status,
        message: message[0, MAX_MESSAGE],
        duration_ms: (result.time * 1000).round(3),
      }
      data = JSON.generate(line) + "\n"
      @mac.update(data)
      @count += 1
      @io.write(data)
      @io.flush
    end
  end

  def self.plugin_duet_init(_options)
    reporter << DuetReporter.new(DUET_RESULTS, DUET_KEY)
  end
end

results_file, test_file = ARGV.shift(2)
Minitest::DUET_KEY =
  begin
    key_io = IO.for_fd(3)
    [key_io.read.strip].pack("H*").tap { key_io.close }
  rescue StandardError
    ""
  end
Minitest::DUET_RESULTS = File.open(
  results_file, File::WRONLY | File::CREAT | File::EXCL | File::NOFOLLOW | File::APPEND, 0o600
)
Minitest.extensions << "duet"
require "minitest/autorun"
$LOAD_PATH.unshift(Dir.pwd)
load File.expand_path(test_file)
