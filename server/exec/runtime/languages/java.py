"""Java 17 (OpenJDK), tests with JUnit 5 through the console launcher and Duet's listener."""

from server.exec.runtime.languages.model import BUILD_DIR, HARNESS_DIR, Language, ReportFormat, TestHarness

_CLASSES = f"{BUILD_DIR}/classes"
_JUNIT = "/usr/share/java/junit-platform-console-standalone.jar"
_JVM = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto")

LANGUAGE = Language(
    id="java",
    display_name="Java",
    packages=("openjdk-17-jdk-headless", "junit5"),
    source_file="Main.java",
    compile=("javac", "-J-XX:+UseSerialGC", "-encoding", "UTF-8", "-d", _CLASSES, "Main.java"),
    run=("java", *_JVM, "-cp", _CLASSES, "Main"),
    version=("javac", "-version"),
    test=TestHarness(
        framework="JUnit 5",
        test_file="MainTest.java",
        compile=(
            "javac",
            "-J-XX:+UseSerialGC",
            "-encoding",
            "UTF-8",
            "-cp",
            _JUNIT,
            "-proc:none",
            "-d",
            _CLASSES,
            "Main.java",
            "MainTest.java",
            # Duet's listener, found by the launcher through META-INF/services in its directory
            f"{HARNESS_DIR}/java/DuetListener.java",
        ),
        run=(
            "java",
            *_JVM,
            "-jar",
            _JUNIT,
            "--class-path",
            f"{_CLASSES}:{HARNESS_DIR}/java",
            "--select-class",
            "MainTest",
            "--disable-banner",
            "--details=none",
        ),
        report=ReportFormat.DUET_JSONL,
        report_files=("report.jsonl",),
        reporter_key=True,
    ),
)
