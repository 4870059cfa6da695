"""Questions to cited passages and answers.

`from qa import retrieve` is the Python entry point; see `qa.retrieve.retrieve`.
"""

from embeddings.errors import IndexMismatchError, IndexMissingError, NewsqaError, QuestionError
from qa.retrieve import PassageHit, retrieve

__all__ = [
    "IndexMismatchError",
    "IndexMissingError",
    "NewsqaError",
    "PassageHit",
    "QuestionError",
    "retrieve",
]
