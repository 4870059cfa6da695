"""Web pages: e-paper sites (Founder 数字报, people.cn) and any news article page."""
