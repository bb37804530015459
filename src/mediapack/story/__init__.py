"""The story wing: read a story folder's front matter, its fields and what it asks to compose."""
