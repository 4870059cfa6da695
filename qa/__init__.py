"""Questions to cited passages and answers."""
