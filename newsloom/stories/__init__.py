"""Stories: articles about one event across languages (similarity, online clustering)."""
