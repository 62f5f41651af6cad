"""Specific exception classes. Every message names the input and what is wrong with it."""

from __future__ import annotations


class NewsloomError(Exception):
    """Base class: the CLI prints these as one clear line, never a traceback."""


class ConfigError(NewsloomError):
    pass


class StoreError(NewsloomError):
    pass


class StoreUnavailable(StoreError):
    """The database cannot be reached or its connection was lost (PostgreSQL restarting, a
    dropped network, a SQLite file locked by another process past the busy timeout): worth
    retrying later; nothing half-written was kept (the transaction was rolled back)."""


class StoreFull(StoreError):
    """The disk (or the database's quota) is full: nothing more can be stored until space is
    freed. What was stored before is intact (the failed transaction was rolled back)."""


class DuplicateSourceError(StoreError):
    pass


class NotFoundError(StoreError):
    pass


class DuplicateArticleError(StoreError):
    """An article with the same URL is already stored."""


class FetchError(NewsloomError):
    """A fetch failed; ``status`` is the short machine-readable outcome recorded in the fetch log."""

    status = "error"

    def __init__(self, url: str, message: str):
        self.url = url
        super().__init__(f"{url}: {message}")


class RobotsDisallowed(FetchError):
    status = "robots"


class TooLarge(FetchError):
    status = "too_large"


class BadContentType(FetchError):
    status = "bad_content_type"


class TooManyRedirects(FetchError):
    status = "redirect_loop"


class HostUnreachable(FetchError):
    status = "unreachable"


class HTTPStatusError(FetchError):
    status = "http_error"

    def __init__(self, url: str, code: int, message: str = "", retry_after: float | None = None):
        self.code = code
        # seconds the server asked us to wait (429/503 Retry-After), so the scheduler can obey it
        self.retry_after = retry_after
        super().__init__(url, f"HTTP {code}{' ' + message if message else ''}")


class InvalidURL(FetchError):
    status = "invalid_url"


class PrivateAddress(FetchError):
    """Refused: the host is (or resolves to) a loopback, private, link-local or metadata address."""

    status = "private_address"


class FetchTimeout(FetchError):
    status = "timeout"


class RetryLater(FetchError):
    """Not requested: the host's rate limit or an earlier Retry-After says wait ``retry_after`` s."""

    status = "retry_later"

    def __init__(self, url: str, message: str, retry_after: float):
        self.retry_after = retry_after
        super().__init__(url, message)


class FeedParseError(NewsloomError):
    def __init__(self, url: str, message: str):
        self.url = url
        super().__init__(f"{url}: not a readable feed or sitemap ({message})")


class OPMLError(NewsloomError):
    pass


class ExtractionError(NewsloomError):
    """The page holds no article (empty, binary, all boilerplate)."""

    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__(f"{where}: {message}")


class IngestError(NewsloomError):
    pass


class DedupeError(NewsloomError):
    pass


class SignatureError(DedupeError):
    """Stored MinHash bytes cannot be read (corrupt, or written by another rensa algorithm)."""


class BenchError(NewsloomError):
    """A benchmark input (pairs CSV, corpus folder) is missing or not in the expected layout."""


class AnalyseError(NewsloomError):
    """Bad input to an analysis step (entities, quotes): names the argument and what is wrong."""


class StoryError(NewsloomError):
    """Bad input to story clustering/lineage (mismatched vectors, unreadable state file)."""


class TakedownError(NewsloomError):
    """A removal request that cannot be accepted as given (malformed, matching everything, ...)."""
