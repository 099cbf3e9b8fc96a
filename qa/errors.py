"""Errors a user can act on. Each message says what was wrong and what to do."""


class QAError(Exception):
    """Base class: catch this to handle every expected failure of the pipeline."""


class InvalidQuestionError(QAError, ValueError):
    """The question is empty, whitespace only, or has no readable characters."""


class CorpusError(QAError):
    """The corpus folder is missing, empty, or has no usable article."""


class IndexCorruptError(QAError):
    """Index files are missing or damaged; rebuilding from the corpus fixes it."""


class UnsafeFileError(QAError, ValueError):
    """An uploaded file name or content that must not enter the corpus."""


class IndexWriteError(QAError):
    """The index folder cannot be written (read-only, full disk); the previous index stays in use."""
