"""The only package that talks to the network: polite HTTP, robots.txt, per-host rate limits,
feed and sitemap parsing, poll scheduling, and the crawl that ties them together.
"""

from newsloom.fetch.crawler import CrawlSummary, crawl, fetch_page
from newsloom.fetch.feeds import ParsedFeed, parse_feed
from newsloom.fetch.http import Fetcher, FetchResult

__all__ = ["CrawlSummary", "FetchResult", "Fetcher", "ParsedFeed", "crawl", "fetch_page", "parse_feed"]
