"""The archive as a user manages it: files added and removed, sources listed and inspected, and
the build jobs that bring the index up to date (the archive page, `newsqa add|sources|remove`)."""

from embeddings.library.folder import (
    ACCEPTED_SUFFIXES,
    AddReport,
    Refusal,
    Removal,
    StoredFile,
    add_files,
    remove_file,
)
from embeddings.library.jobs import BuildJobs, Job
from embeddings.library.listing import (
    ArticleDetail,
    ArticleRow,
    SourceSummary,
    article_detail,
    find_titles,
    list_sources,
    source_articles,
)

__all__ = [
    "ACCEPTED_SUFFIXES",
    "AddReport",
    "ArticleDetail",
    "ArticleRow",
    "BuildJobs",
    "Job",
    "Refusal",
    "Removal",
    "SourceSummary",
    "StoredFile",
    "add_files",
    "article_detail",
    "find_titles",
    "list_sources",
    "remove_file",
    "source_articles",
]
