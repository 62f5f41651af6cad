"""Quality and speed harnesses (``newsloom bench ...``); each returns a JSON-able dict."""
