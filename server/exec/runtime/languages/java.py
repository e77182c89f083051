"""Java 17 (OpenJDK), tests with JUnit 5 through the console launcher's XML report."""

from server.exec.runtime.languages.model import BUILD_DIR, RESULTS_DIR, Language, ReportFormat, TestHarness

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
            "-d",
            _CLASSES,
            "Main.java",
            "MainTest.java",
        ),
        run=(
            "java",
            *_JVM,
            "-jar",
            _JUNIT,
            "--class-path",
            _CLASSES,
            "--select-class",
            "MainTest",
            "--reports-dir",
            RESULTS_DIR,
            "--disable-banner",
            "--details=none",
        ),
        report=ReportFormat.JUNIT_XML,
        report_files=("TEST-junit-jupiter.xml",),
    ),
)
