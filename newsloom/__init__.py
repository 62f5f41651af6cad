"""newsloom: a self-hosted aggregator of the world's media."""

__version__ = "0.1.0"
USER_AGENT = f"newsloom/{__version__} (+https://github.com/newsloom/newsloom; self-hosted news aggregator)"
