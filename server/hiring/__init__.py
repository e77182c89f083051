"""Hiring content and scoring: challenges and assessments as files (``assessments/``), their
validation in the sandbox, versioned import into the database, and the pure scoring rules for
code (unit tests or input/output cases) and Q&A challenges. See docs/assessments.md."""
