"""HTML views of stored articles: self-contained pages with no external assets."""
