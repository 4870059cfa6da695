"""Printed pages: page PDFs, scans through OCR, the layout analysis they share, Founder page XML."""
