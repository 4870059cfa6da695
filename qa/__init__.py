"""Questions to cited passages and answers.

Python entry points: `from qa import retrieve, answer` (see `qa.retrieve.retrieve` and
`qa.answer.answer`). Errors a caller can fix are `NewsqaError` subclasses.
"""

from embeddings.errors import IndexMismatchError, IndexMissingError, NewsqaError, QuestionError
from qa import archive, officials
from qa.answer import Answer, Citation, answer
from qa.retrieve import PassageHit, retrieve

__all__ = [
    "Answer",
    "Citation",
    "IndexMismatchError",
    "IndexMissingError",
    "NewsqaError",
    "PassageHit",
    "QuestionError",
    "answer",
    "archive",
    "officials",
    "retrieve",
]
