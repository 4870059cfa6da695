"""Gradio chat UI over qa.answer."""
