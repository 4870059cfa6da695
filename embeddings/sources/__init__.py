"""Reading sources: files and folders → `Article`s, one module per format."""

from embeddings.sources.load import LoadResult, iter_source_files, load_articles

__all__ = ["LoadResult", "iter_source_files", "load_articles"]
